import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keepTextReadable, parseDiagramSvg, smallestTextSize } from '../../../src/build/diagram-svg.ts';

const CACHE = join(import.meta.dirname, '../../../src/build/diagram-cache');

describe('smallestTextSize', () => {
  it("reads the root rule and inline sizes, not the tooltip's or the title's", () => {
    const svg = parseDiagramSvg(
      '<svg id="mmd-a" viewBox="0 0 800 400"><style>#mmd-a{font-size:16px;}#mmd-a div.mermaidTooltip{font-size:12px;}' +
        '#mmd-a .flowchartTitleText{font-size:18px;}</style><text style="font-size: 14px">x</text></svg>',
    );
    assert.equal(smallestTextSize(svg), 14);
  });

  it('finds a size in every diagram of the committed cache', () => {
    for (const name of readdirSync(CACHE).filter((file) => file.endsWith('.svg'))) {
      const size = smallestTextSize(parseDiagramSvg(readFileSync(join(CACHE, name), 'utf8').trim()));
      assert.ok(size !== undefined && size >= 10, `${name}: ${size}`);
    }
  });
});

describe('keepTextReadable', () => {
  it('sets the min-width at which 16-unit text renders at 12 px, after mermaid’s max-width', () => {
    const svg = parseDiagramSvg(
      '<svg id="mmd-b" viewBox="-50 -10 962 472" style="max-width: 962px;"><style>#mmd-b{font-size:16px;}</style></svg>',
    );
    keepTextReadable(svg, 12);
    assert.equal(svg.properties.style, 'max-width: 962px; min-width: 722px;');
  });

  it('leaves an SVG without a viewBox alone', () => {
    const svg = parseDiagramSvg('<svg id="mmd-c"><text>x</text></svg>');
    keepTextReadable(svg, 12);
    assert.equal(svg.properties.style, undefined);
  });
});
