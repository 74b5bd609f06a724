/*
 * Reference for the dpkg scheme: reads "A B" lines on stdin and prints,
 * per line, the sign of libdpkg's dpkg_version_compare(A, B) as -1/0/1,
 * or ERR when parseversion() fails hard for A or B. Like
 * `dpkg --compare-versions`, versions that parseversion() only warns
 * about are still compared.
 *
 * Build: cc -o dpkg_ref dpkg_ref.c $(pkg-config --cflags --libs libdpkg)
 * (Debian package libdpkg-dev).
 */
#define LIBDPKG_VOLATILE_API 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/error.h>
#include <dpkg/version.h>

static int parse(struct dpkg_version *v, const char *s)
{
	struct dpkg_error err = DPKG_ERROR_INIT;
	int rc = parseversion(v, s, &err);
	int hard = rc < 0 && err.type != DPKG_MSG_WARN;
	dpkg_error_destroy(&err);
	return hard ? -1 : 0;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		struct dpkg_version a, b;
		char *sep;

		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		sep = strchr(line, ' ');
		if (sep == NULL) {
			puts("ERR");
			continue;
		}
		*sep = '\0';
		if (parse(&a, line) < 0 || parse(&b, sep + 1) < 0) {
			puts("ERR");
			continue;
		}
		int r = dpkg_version_compare(&a, &b);
		puts(r < 0 ? "-1" : r > 0 ? "1" : "0");
	}
	free(line);
	return 0;
}
