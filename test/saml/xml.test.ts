/** The XML layer: size and encoding limits, DTD refusal, strict parsing, comment-proof text. */
import { describe, expect, it } from 'vitest';
import { XmlRejected, decodeBase64Xml, parseRoot, textContent } from '../../src/saml/xml.js';

const rejection = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    return error instanceof XmlRejected ? error.kind : `threw ${String(error)}`;
  }
};

describe('decodeBase64Xml', () => {
  it('accepts base64 wrapped over lines, as IdPs post it', () => {
    const b64 = Buffer.from('<a>é</a>', 'utf8').toString('base64');
    expect(decodeBase64Xml(`${b64.slice(0, 4)}\r\n${b64.slice(4)}\n`)).toBe('<a>é</a>');
  });

  it('checks the size before decoding', () => {
    expect(rejection(() => decodeBase64Xml('AAAA'.repeat(10), 39))).toBe('too_large');
    expect(rejection(() => decodeBase64Xml('AAAA'.repeat(10), 40))).not.toBe('too_large');
  });

  it.each(['<!DOCTYPE a>', '<!doctype a>', '<!ENTITY x "y">', '<! DOCTYPE a>'])('refuses %s', (decl) => {
    expect(rejection(() => decodeBase64Xml(Buffer.from(`${decl}<a/>`).toString('base64')))).toBe('dtd_forbidden');
  });
});

describe('parseRoot', () => {
  it.each([
    ['unknown entity', '<a>&foo;</a>'],
    ['two roots', '<a/><b/>'],
    ['unclosed element', '<a><b></a>'],
    ['no root', '   '],
  ])('refuses %s', (_name, xml) => {
    expect(rejection(() => parseRoot(xml))).toBe('malformed');
  });
});

describe('textContent', () => {
  it('joins every text node around comments (NameID comment injection)', () => {
    expect(textContent(parseRoot('<n>ross@<!-- c -->octolabs.io</n>'))).toBe('ross@octolabs.io');
    expect(textContent(parseRoot('<n> a<![CDATA[b]]>c </n>'))).toBe('abc');
  });
});
