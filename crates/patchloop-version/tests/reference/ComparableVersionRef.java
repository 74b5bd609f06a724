// Reference for the maven scheme: reads "A B" lines (UTF-8) on stdin and
// prints, per line, Integer.signum(new ComparableVersion(A).compareTo(
// new ComparableVersion(B))) from maven-artifact 3.x.
//
// Run (Java 11+ single-file launch):
//   java -cp /usr/share/java/maven-artifact-3.x.jar ComparableVersionRef.java
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class ComparableVersionRef {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int sp = line.indexOf(' ');
            if (sp < 0) {
                out.write("ERR\n");
                continue;
            }
            String r;
            try {
                ComparableVersion a = new ComparableVersion(line.substring(0, sp));
                ComparableVersion b = new ComparableVersion(line.substring(sp + 1));
                r = Integer.toString(Integer.signum(a.compareTo(b)));
            } catch (RuntimeException e) {
                r = "ERR";
            }
            out.write(r);
            out.write('\n');
        }
        out.flush();
    }
}
