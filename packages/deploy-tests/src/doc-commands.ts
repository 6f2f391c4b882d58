/** A section of a Markdown page: its heading, the anchor GitHub gives it, and its text. */
export interface Section {
  heading: string;
  anchor: string;
  text: string;
}

/** The sections of a page, by heading of any level (the text before the first one is left out). */
export function sections(markdown: string): Section[] {
  const found: Section[] = [];
  let inFence = false;
  for (const line of markdown.replace(/\n$/, '').split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading)
      found.push({ heading: heading[1] as string, anchor: anchorOf(heading[1] as string), text: '' });
    else if (found.length > 0) (found[found.length - 1] as Section).text += `${line}\n`;
  }
  return found;
}

/**
 * The anchor GitHub makes of a heading: lower case, punctuation other than '-' and '_' dropped,
 * each space a '-' (so "`oc apply -k`" gives "oc-apply--k").
 */
export function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/**
 * The shell commands of a text's ```sh blocks, each as its words: lines joined where they end in
 * a backslash, comments dropped, quotes removed as the shell would (no expansion).
 */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const joined = (block[1] as string).replace(/\\\n/g, ' ');
    for (const line of joined.split('\n')) {
      const words = shellWords(line);
      if (words.length > 0) commands.push(words);
    }
  }
  return commands;
}

/** A line split as the shell splits it, up to a comment; quotes are removed, nothing expanded. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '#' && word === undefined) {
      break;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The values of a flag in a command's words: `--name=x`, `--name x`, and for short flags `-e x`. */
export function flagValues(words: string[], ...names: string[]): string[] {
  const values: string[] = [];
  words.forEach((word, i) => {
    for (const name of names) {
      if (word.startsWith(`${name}=`)) values.push(word.slice(name.length + 1));
      else if (word === name && i + 1 < words.length) values.push(words[i + 1] as string);
    }
  });
  return values;
}
