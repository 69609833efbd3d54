#!/usr/bin/env python3
"""Extracts the usage example of a public header (include/prestige/X.h) as a C file.

The example is the code in the header's opening comment: the blocks of lines indented by three
spaces after " * " (blocks are separated by a " *" line) whose every line ends like C code (with
; { } \\ or , after any // comment is removed, or is a # directive) and of which at least one ends
with ';'. Tables and grammars in the same comment do not look like that and are left out. The
lines become the body of a function `int example(void)` with `prestige_error_t err` declared,
except #-directives (with their continuation lines), PRESTIGE_RECORD(...) lines and static
function definitions, which go to file scope. Prints the C file, or nothing when the header has
no example."""
import re
import sys

def strip_comment(line):
    in_str = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == '\\' and in_str:
            i += 2
            continue
        if c == '"':
            in_str = not in_str
        elif not in_str and line.startswith('//', i):
            return line[:i].rstrip()
        i += 1
    return line.rstrip()

def looks_like_code(lines):
    semi = False
    top_only = True
    cont = False
    for l in lines:
        s = strip_comment(l).strip()
        if cont or s.startswith('#'):
            cont = s.endswith('\\')
            continue
        if s.startswith('PRESTIGE_RECORD('):
            continue
        top_only = False
        if not s:
            continue  # a comment line
        if not (s[-1] in ';{}\\,(' or s.endswith('&&') or s.endswith('||')
                or re.match(r'(if|for|while|else|do)\b', s)):
            return False
        semi = semi or s.endswith(';')
    return semi or top_only

def main(path):
    text = open(path).read()
    m = re.match(r'\s*/\*(.*?)\*/', text, re.S)
    if not m:
        return 0
    blocks, cur = [], []
    for raw in m.group(1).split('\n'):
        if raw.startswith(' *   '):
            cur.append(raw[5:])
        else:
            if cur:
                blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    code = [b for b in blocks if looks_like_code(b)]
    if not code:
        return 0
    top, body = [], []
    for b in code:
        i = 0
        while i < len(b):
            l = b[i]
            if l.startswith('#') or l.startswith('PRESTIGE_RECORD('):
                top.append(l)
                while l.rstrip().endswith('\\') and i + 1 < len(b):
                    i += 1
                    l = b[i]
                    top.append(l)
            elif l.startswith('static ') and strip_comment(l).endswith('{'):
                top.append(l)
                while i + 1 < len(b) and b[i] != '}':
                    i += 1
                    top.append(b[i])
            else:
                body.append(l)
            i += 1
    name = path.rsplit('/', 1)[-1]
    print('/* usage example of %s, extracted by tests/tools/header_examples.py */' % name)
    print('#include <inttypes.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>')
    print('#include "prestige/prestige.h"')
    print('#include "prestige/%s"' % name)
    print('\n'.join(top))
    print('int example(void);\nint example(void) {')
    if not any(re.match(r'\s*prestige_error_t err;', l) for l in body):
        print('  prestige_error_t err;\n  prestige_error_init(&err);')
    print('\n'.join('  ' + l for l in body))
    print('  (void)err;\n  return 0;\n}')
    print('int main(int argc, char **argv) {\n  (void)argv;\n  return argc > 99 ? example() : 0; /* linked, not run */\n}')
    return 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
