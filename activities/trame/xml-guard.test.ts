import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { XmlGuard } from './xml-guard.js';

const through = (xml: string | string[], shape = { maxToken: 100, maxDepth: 3 }) =>
  text(Readable.from(Array.isArray(xml) ? xml : [xml]).pipe(new XmlGuard(shape)));

describe('XmlGuard', () => {
  it('passes XML within the bounds unchanged, whatever the chunks: quoted >, comments, CDATA, instructions, self-closing tags', async () => {
    const xml = '<?xml version="1.0"?><a x="1 > 0" y=\'/>\'><!-- a > b <c> --><b/><b><![CDATA[ <x> ]] > ]]></b></a>';
    expect(await through(xml)).toBe(xml);
    expect(await through(xml.split(''))).toBe(xml);
  });

  it('refuses a token longer than maxToken, nesting deeper than maxDepth, a DOCTYPE', async () => {
    await expect(through(`<a>${'x'.repeat(101)}</a>`)).rejects.toThrow('an XML token longer than 100 characters');
    await expect(through(`<a><!--${'x'.repeat(101)}--></a>`)).rejects.toThrow('longer than 100');
    await expect(through('<a><b><c><d></d></c></b></a>')).rejects.toThrow('XML nested deeper than 3 levels');
    expect(await through('<a><b><c/><c></c></b><b/></a>')).toBe('<a><b><c/><c></c></b><b/></a>');
    await expect(through('<!DOCTYPE a [<!ENTITY x "y">]><a/>')).rejects.toThrow('a DOCTYPE or unknown markup declaration');
  });
});
