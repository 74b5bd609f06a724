<?php
// Reference for patchloop-version's packagist scheme: composer/semver
// (Debian php-composer-semver). Input: a file with one JSON array ["a","b"]
// per line. Each side is normalized with VersionParser::normalize (ERR when
// it throws); the normalized strings are compared with Comparator:
// 0 (equalTo), -1 (lessThan), 1 (greaterThan), or NC when none holds
// (two different dev branches). Exit status 3 when composer/semver is
// missing.
$autoload = '/usr/share/php/Composer/Semver/autoload.php';
if (!is_file($autoload)) {
    fwrite(STDERR, "composer/semver not installed ($autoload)\n");
    exit(3);
}
require $autoload;

use Composer\Semver\Comparator;
use Composer\Semver\VersionParser;

$parser = new VersionParser();
$in = fopen($argv[1], 'r');
$out = '';
while (($line = fgets($in)) !== false) {
    $line = rtrim($line, "\n");
    if ($line === '') {
        continue;
    }
    [$a, $b] = json_decode($line, true, 4, JSON_THROW_ON_ERROR);
    try {
        $na = $parser->normalize($a);
        $nb = $parser->normalize($b);
    } catch (\Exception $e) {
        $out .= "ERR\n";
        continue;
    }
    if (Comparator::equalTo($na, $nb)) {
        $out .= "0\n";
    } elseif (Comparator::lessThan($na, $nb)) {
        $out .= "-1\n";
    } elseif (Comparator::greaterThan($na, $nb)) {
        $out .= "1\n";
    } else {
        $out .= "NC\n";
    }
}
fwrite(STDOUT, $out);
