import { readFileSync } from 'node:fs';

/**
 * The .dockerignore rules as Docker applies them to a build context: each pattern is matched
 * against the whole path relative to the context root (`*` and `?` stay within one path
 * segment, `**` spans any number), a rule applies to a path when it matches the path or a parent
 * folder, and the last rule that applies wins, so `!pattern` brings a path back.
 */
export function dockerignoreMatcher(text: string): (relativePath: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, regex: globToRegex(pattern) };
    });

  return (relativePath) => {
    const segments = relativePath.split('/').filter(Boolean);
    const paths = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    // As moby's patternmatcher: a rule applies when it matches the path or one of its parents.
    let excluded = false;
    for (const rule of rules) if (paths.some((p) => rule.regex.test(p))) excluded = !rule.negated;
    return excluded;
  };
}

export function loadDockerignore(path: string): (relativePath: string) => boolean {
  return dockerignoreMatcher(readFileSync(path, 'utf8'));
}

function globToRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches everything below.
      if (pattern[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
