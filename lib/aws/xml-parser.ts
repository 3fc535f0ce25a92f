/**
 * The AWS SDK's XML parser (`parseXML` of @aws-sdk/xml-builder, the class `AwsXmlParser` of its dist-es/xml-parser.js)
 * with the same algorithm and the same output, errors included, reading by slices where the SDK's builds every tag
 * name, attribute value and text a character at a time. The CLI's bundle uses it in the SDK's place (scripts/bundle.ts,
 * `sdkXmlParser`); the Lambda functions use the SDK their runtime ships.
 *
 * Why our own (issue 33): the EC2, Elastic Load Balancing and STS answers are XML, and on a 10,000-instance scan of
 * the peer comparison's scope the SDK's parser was the scan's largest CPU cost (its `parseTag` 4.4 of 19.3 sampled
 * CPU-seconds, more again in the collector for its garbage); this one parses a 9 MB DescribeInstances answer in
 * 0.52 s against 0.93 s under the CLI's node flags (fast-xml-parser, which older SDKs used: 2.8 s), and keeps no
 * more of an answer alive than the SDK's does (`own`, `FORGET`).
 * test/aws/xml-parser.test.ts compares the two on EC2-shaped answers and on generated hostile input: the same
 * objects, or the same error. One difference, on purpose: an entity named like an Object.prototype member
 * (`&constructor;`) decodes to nothing, as every unknown entity, where the SDK's gives the text of a native function.
 */

type XmlValue = string | XmlObject | XmlValue[];
interface XmlObject {
  [key: string]: XmlValue | undefined;
}

/** A key named `__proto__` is an own property, never the prototype (as in the SDK's parser). */
function writeKey(obj: object): void {
  Object.defineProperty(obj, '__proto__', { value: undefined, writable: true, enumerable: true, configurable: true });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g;
const decode = (s: string): string =>
  s.indexOf('&') === -1
    ? s
    : s.replace(ENTITY, (_, hex: string | undefined, dec: string | undefined, named: string) =>
        hex
          ? String.fromCharCode(Number.parseInt(hex, 16))
          : dec
            ? String.fromCharCode(Number.parseInt(dec, 10))
            : ((Object.hasOwn(ENTITIES, named) ? ENTITIES[named] : undefined) ?? ''),
      );

/**
 * A text as a string of its own. V8 keeps a slice of 13 characters or more as a view into the string it was cut from:
 * one instance id kept from an answer would keep the whole answer (megabytes) alive. Joined to one character and cut
 * again, it is copied (V8 flattens the joined string first); shorter slices are copies already.
 */
const own = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

/** Matches the empty string: run last (`parseXML`), it makes V8's record of the last match (RegExp.input) forget the answer. */
const FORGET = /(?:)/;

const TAG_NAME = /[^ \t\r\n>/]*/y;
const ATTRIBUTE_NAME = /[^= \t\r\n>/?]*/y;
const SPACE = /[ \t\r\n]*/y;
const isBlankLines = (text: string) => text.trim() === '' && text.includes('\n');

export function parseXML(xml: string): XmlObject {
  try {
    return parseDocument(xml);
  } finally {
    FORGET.exec('');
  }
}

function parseDocument(xml: string): XmlObject {
  const x = xml.replace(/\r\n?/g, '\n');
  const z = x.length;
  let i = 0;
  const skip = (re: RegExp): string => {
    re.lastIndex = i;
    re.test(x);
    const read = x.slice(i, re.lastIndex);
    i = re.lastIndex;
    return read;
  };
  const readTo = (stop: string): string => {
    const j = x.indexOf(stop, i);
    if (j === -1) throw new Error(`@aws-sdk XML parse error: expected "${stop}" not found.`);
    const read = x.slice(i, j);
    i = j + stop.length;
    return read;
  };

  const parseTag = (): { tag: string; value: XmlValue } => {
    ++i;
    const tag = skip(TAG_NAME);
    let hasAttrs = false;
    const attrs: Record<string, string> = {};
    while (i < z) {
      skip(SPACE);
      if (x[i] === '>' || x[i] === '/') break;
      const name = skip(ATTRIBUTE_NAME);
      skip(SPACE);
      if (x[i] !== '=') break;
      ++i;
      skip(SPACE);
      if (name === '__proto__') writeKey(attrs);
      const quote = x[i]!;
      ++i;
      const end = x.indexOf(quote, i);
      const j = end === -1 ? z : end;
      attrs[name] = own(decode(x.slice(i, j)));
      i = j + 1;
      hasAttrs = true;
    }
    if (i >= z) throw new Error('@aws-sdk XML parse error: unexpected end of input.');
    if (x[i] === '/') {
      ++i;
      if (i >= z || x[i] !== '>') throw new Error('@aws-sdk XML parse error: expected > at the end of self-closing tag.');
      ++i;
      return { tag, value: hasAttrs ? attrs : '' };
    }
    if (x[i] !== '>') throw new Error('@aws-sdk XML parse error: expected > at the end of opening tag.');
    ++i;
    const textParts: string[] = [];
    const childTags: { tag: string; value: XmlValue }[] = [];
    while (i < z) {
      if (x.startsWith('</', i)) break;
      if (x[i] === '<') {
        if (x.startsWith('<!--', i)) readTo('-->');
        else if (x.startsWith('<![CDATA[', i)) {
          i += 9;
          textParts.push(own(readTo(']]>')));
        } else if (x.startsWith('<?', i)) readTo('?>');
        else childTags.push(parseTag());
      } else {
        const next = x.indexOf('<', i);
        const j = next === -1 ? z : next;
        textParts.push(own(decode(x.slice(i, j))));
        i = j;
      }
    }
    if (!x.startsWith('</', i)) throw new Error(`@aws-sdk XML parse error: missing closing tag </${tag}>.`);
    i += 2;
    const closeTag = readTo('>').trim();
    if (closeTag !== tag) throw new Error(`@aws-sdk XML parse error: mismatched tags <${tag}> and </${closeTag}>.`);
    if (!hasAttrs && !childTags.length) {
      const text = textParts.length === 1 ? textParts[0]! : textParts.join('');
      return { tag, value: isBlankLines(text) ? '' : text };
    }
    const obj: XmlObject = {};
    for (const text of textParts) if (!isBlankLines(text)) obj['#text'] = '#text' in obj ? `${obj['#text'] as string}${text}` : text;
    for (const child of childTags) {
      if (child.tag === '__proto__') writeKey(obj);
      // `in`, as the SDK's: a tag named like an Object.prototype member (`constructor`) becomes a list of that and its value.
      if (child.tag in obj) {
        const held = obj[child.tag] as XmlValue;
        if (Array.isArray(held)) held.push(child.value);
        else obj[child.tag] = [held, child.value];
      } else obj[child.tag] = child.value;
    }
    for (const [k, v] of Object.entries(attrs)) {
      if (k === '__proto__') writeKey(obj);
      obj[k] = v;
    }
    return { tag, value: obj };
  };

  const skipDoctype = () => {
    i += 9;
    let depth = 0;
    while (i < z) {
      const c = x[i];
      if (c === '[') ++depth;
      else if (c === ']') --depth;
      else if (c === '>' && depth === 0) {
        ++i;
        return;
      }
      ++i;
    }
    throw new Error('@aws-sdk XML parse error: unclosed DOCTYPE.');
  };

  while (i < z) {
    skip(SPACE);
    if (i >= z) break;
    if (x.startsWith('<?', i)) readTo('?>');
    else if (x.startsWith('<!--', i)) readTo('-->');
    // The SDK lower-cases the whole document to compare nine characters; the same answer from those nine.
    else if (x.slice(i, i + 9).toLowerCase() === '<!doctype') skipDoctype();
    else if (x[i] === '<') {
      const root = parseTag();
      return { [root.tag]: root.value };
    } else throw new Error('@aws-sdk XML parse error: unexpected content.');
  }
  throw new Error('@aws-sdk XML parse error: no root element.');
}
