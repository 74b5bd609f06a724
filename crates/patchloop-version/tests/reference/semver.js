// Reference for patchloop-version's semver scheme: node-semver, strict mode.
// Input: a file with one JSON array ["a","b"] per line. Output per line:
// -1/0/1 = semver.compare(a, b), or ERR when semver.valid(a or b) is null.
'use strict'
const fs = require('fs')
const path = require('path')
let semver
try {
  semver = require(path.join(__dirname, 'node_modules', 'semver'))
} catch (e) {
  process.stderr.write('node package semver not installed\n')
  process.exit(3)
}
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n')
const out = []
for (const line of lines) {
  if (line === '') continue
  const [a, b] = JSON.parse(line)
  if (semver.valid(a) === null || semver.valid(b) === null) {
    out.push('ERR')
  } else {
    out.push(String(semver.compare(a, b)))
  }
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
