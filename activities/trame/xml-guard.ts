// A bound on the shape of an XML part, checked on its text as it streams to the parser: no token (a text node, a tag,
// a comment) longer than `maxToken` characters, no nesting deeper than `maxDepth`, no DOCTYPE. The XML parser buffers
// a whole token and keeps a stack of the open tags: within the bytes' bound alone, one 100 MB text node or a million
// nested tags would still be held at once. An .xlsx part is a few levels deep, and Excel caps a cell at 32 767
// characters.

import { Transform, type TransformCallback } from 'node:stream';

export class XmlShapeError extends Error {
  override readonly name = 'XmlShapeError';
}

const LT = 60; // <
const GT = 62; // >
const SLASH = 47; // /
const BANG = 33; // !
const QUESTION = 63; // ?
const DASH = 45; // -
const BRACKET = 93; // ]
const QUOTE = 34; // "
const APOSTROPHE = 39; // '

const enum State { Text, TagStart, Tag, Quoted, MarkupStart, Comment, CData, Instruction }

export interface XmlShape {
  maxToken: number;
  maxDepth: number;
}

export const XLSX_XML_SHAPE: XmlShape = { maxToken: 1024 * 1024, maxDepth: 64 };

/** Passes text through unchanged, failing with XmlShapeError at the first character past the bounds. */
export class XmlGuard extends Transform {
  private state = State.Text;
  private token = 0;
  private depth = 0;
  private closing = false;
  private quote = 0;
  private previous = 0;
  private before = 0;
  /** Characters of `<!…` seen, to tell a comment from CDATA from a DOCTYPE. */
  private markup = '';

  constructor(private readonly shape: XmlShape = XLSX_XML_SHAPE) {
    super({ decodeStrings: false, encoding: 'utf8' });
  }

  override _transform(chunk: string | Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const problem = this.scan(text);
    if (problem) callback(new XmlShapeError(problem));
    else callback(null, text);
  }

  private scan(text: string): string | null {
    const { maxToken, maxDepth } = this.shape;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (++this.token > maxToken) return `an XML token longer than ${maxToken} characters`;
      switch (this.state) {
        case State.Text:
          if (c === LT) {
            this.state = State.TagStart;
            this.token = 1;
          }
          break;
        case State.TagStart:
          if (c === BANG) {
            this.state = State.MarkupStart;
            this.markup = '';
          } else if (c === QUESTION) this.state = State.Instruction;
          else {
            this.closing = c === SLASH;
            this.state = State.Tag;
          }
          break;
        case State.Tag:
          if (c === QUOTE || c === APOSTROPHE) {
            this.quote = c;
            this.state = State.Quoted;
          } else if (c === GT) {
            if (this.closing) this.depth--;
            else if (this.previous !== SLASH && ++this.depth > maxDepth) return `XML nested deeper than ${maxDepth} levels`;
            this.tokenEnd();
          }
          break;
        case State.Quoted:
          if (c === this.quote) this.state = State.Tag;
          break;
        case State.MarkupStart:
          this.markup += text[i];
          if (this.markup === '--') this.state = State.Comment;
          else if (this.markup === '[CDATA[') this.state = State.CData;
          else if (!'--'.startsWith(this.markup) && !'[CDATA['.startsWith(this.markup)) return 'a DOCTYPE or unknown markup declaration';
          break;
        case State.Comment:
          if (c === GT && this.previous === DASH && this.before === DASH) this.tokenEnd();
          break;
        case State.CData:
          if (c === GT && this.previous === BRACKET && this.before === BRACKET) this.tokenEnd();
          break;
        case State.Instruction:
          if (c === GT && this.previous === QUESTION) this.tokenEnd();
          break;
      }
      this.before = this.previous;
      this.previous = c;
    }
    return null;
  }

  private tokenEnd(): void {
    this.state = State.Text;
    this.token = 0;
  }
}
