# Reference for the rubygems scheme: reads "A B" lines on stdin and prints,
# per line, Gem::Version.new(A) <=> Gem::Version.new(B) as -1/0/1, or ERR
# when Gem::Version.correct? is false for A or B.
# Run: ruby gemversion.rb (Debian package ruby; RubyGems 3.3).
require "rubygems"

STDIN.set_encoding("UTF-8")
out = []
STDIN.each_line do |line|
  a, sep, b = line.chomp("\n").partition(" ")
  if sep.empty? || !Gem::Version.correct?(a) || !Gem::Version.correct?(b)
    out << "ERR"
    next
  end
  out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
end
STDOUT.write(out.map { |r| r + "\n" }.join)
