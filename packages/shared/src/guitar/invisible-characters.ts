/**
 * Characters that do not show as themselves: controls (Unicode category Cc: NUL, newline, escape,
 * DEL, the C1 range) and format characters (Cf: bidi embeddings, overrides and isolates, zero-width
 * spaces and joiners, the byte-order mark, the soft hyphen). In a brand they fake a line in a log,
 * reverse the text that follows (U+202E) or make "fen<U+200B>der" look like fender. The CRD's
 * pattern on spec.brand refuses the same two categories (Go's RE2 knows them by the same names).
 */
export const INVISIBLE_CHARACTER = /[\p{Cc}\p{Cf}]/u;

/** An invisible character found in a text, for messages: "U+202E RIGHT-TO-LEFT OVERRIDE". */
export interface InvisibleCharacter {
  kind: 'control' | 'format';
  codePoint: number;
  label: string;
}

// Unicode's names of the ones people meet; any other is named by its code point alone.
const NAMES: Readonly<Record<number, string>> = {
  0: 'NULL',
  9: 'CHARACTER TABULATION',
  10: 'LINE FEED',
  13: 'CARRIAGE RETURN',
  27: 'ESCAPE',
  127: 'DELETE',
  133: 'NEXT LINE',
  173: 'SOFT HYPHEN',
  1564: 'ARABIC LETTER MARK',
  6158: 'MONGOLIAN VOWEL SEPARATOR',
  8203: 'ZERO WIDTH SPACE',
  8204: 'ZERO WIDTH NON-JOINER',
  8205: 'ZERO WIDTH JOINER',
  8206: 'LEFT-TO-RIGHT MARK',
  8207: 'RIGHT-TO-LEFT MARK',
  8234: 'LEFT-TO-RIGHT EMBEDDING',
  8235: 'RIGHT-TO-LEFT EMBEDDING',
  8236: 'POP DIRECTIONAL FORMATTING',
  8237: 'LEFT-TO-RIGHT OVERRIDE',
  8238: 'RIGHT-TO-LEFT OVERRIDE',
  8288: 'WORD JOINER',
  8289: 'FUNCTION APPLICATION',
  8290: 'INVISIBLE TIMES',
  8291: 'INVISIBLE SEPARATOR',
  8292: 'INVISIBLE PLUS',
  8294: 'LEFT-TO-RIGHT ISOLATE',
  8295: 'RIGHT-TO-LEFT ISOLATE',
  8296: 'FIRST STRONG ISOLATE',
  8297: 'POP DIRECTIONAL ISOLATE',
  65279: 'ZERO WIDTH NO-BREAK SPACE',
};

/** The first control or format character of `text`, or undefined when every character shows. */
export function firstInvisibleCharacter(text: string): InvisibleCharacter | undefined {
  const found = INVISIBLE_CHARACTER.exec(text)?.[0];
  if (found === undefined) return undefined;
  const codePoint = found.codePointAt(0) ?? 0;
  const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
  const name = NAMES[codePoint];
  return {
    kind: /\p{Cc}/u.test(found) ? 'control' : 'format',
    codePoint,
    label: name ? `U+${hex} ${name}` : `U+${hex}`,
  };
}

// What JSON.stringify leaves raw that still changes how a line reads: format characters, DEL and
// C1 controls (C0 ones it escapes), and the line and paragraph separators.
const RAW_IN_JSON = /[\p{Cf}\u007f-\u009f\u2028\u2029]/gu;

/**
 * A JSON text with those characters written as \u escapes: the same JSON value, and a log line
 * that reads as it is. They can only occur inside strings (JSON's syntax is ASCII), where \u is valid.
 */
export function escapeInvisibleInJson(json: string): string {
  return json.replace(RAW_IN_JSON, (found) => {
    let escaped = '';
    for (let i = 0; i < found.length; i++)
      escaped += `\\u${found.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return escaped;
  });
}
