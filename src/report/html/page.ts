// The page around the charts: escaping, the blocks a report is made of, and one self-contained HTML
// document (inline CSS and SVG; no script, no external resource).

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** One piece of a run's report: a chart, a table or a note, under a title. `key` pairs blocks in a comparison. */
export interface Block {
  key: string;
  title: string;
  html: string;
}

/** A rendered chart: the container the browser test looks for (data-chart) around the SVG. */
export function figure(name: string, svg: string, caption?: string): string {
  return `<figure class="chart" data-chart="${esc(name)}">${svg}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

/** Something the report cannot show, and why. */
export function note(html: string): string {
  return `<p class="note">${html}</p>`;
}

/** A table from a header row (none when undefined) and body rows of already escaped cells; the first column is left-aligned. */
export function table(head: string[] | undefined, rows: string[][], className = 'data'): string {
  const thead = head ? `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>` : '';
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}">${thead}<tbody>\n${body}\n</tbody></table>`;
}

/** Definition list of label → value pairs (values already escaped). */
export function facts(items: Array<[string, string]>): string {
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function blockHtml(b: Block): string {
  return `<section class="block" data-block="${esc(b.key)}"><h3>${esc(b.title)}</h3>${b.html}</section>`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f;
  margin: 0; padding: 24px 32px 48px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; font-weight: 600; }
h2 { font-size: 18px; margin: 32px 0 8px; font-weight: 600; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; font-weight: 600; }
h4 { font-size: 13.5px; margin: 14px 0 4px; font-weight: 600; color: #333; }
.subtitle { color: #555; margin: 0 0 16px; }
.block { background: white; border: 1px solid #e4e4e4; border-radius: 6px; padding: 8px 16px 12px; margin: 12px 0; overflow-x: auto; }
.pair { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.pair > .block { margin: 0; }
.lists { display: flex; flex-wrap: wrap; gap: 0 40px; }
.pair-label { font-weight: 600; color: #444; margin: 0 0 2px; }
figure.chart { margin: 4px 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption, p.caption { color: #555; font-size: 12.5px; margin-top: 4px; max-width: 960px; }
p.note { color: #7a4b00; background: #fff8e6; border: 1px solid #f3dfae; border-radius: 4px; padding: 6px 10px; margin: 6px 0; max-width: 960px; }
table.data { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 4px 0; }
table.data th, table.data td { border-bottom: 1px solid #eee; padding: 3px 10px; text-align: right; white-space: nowrap; }
table.data th { font-weight: 600; background: #f5f5f5; border-bottom: 1px solid #ddd; white-space: normal; vertical-align: bottom; }
table.data td:first-child, table.data th:first-child { text-align: left; }
table.data td.status { text-align: left; white-space: normal; max-width: 340px; }
table.data span.reason { color: #7a4b00; font-size: 12.5px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 4px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f2f2f2; padding: 0 3px; border-radius: 3px; }
.status-incomplete { color: #b00020; font-weight: 600; }
ul.verdicts { margin: 4px 0; padding-left: 20px; font-size: 15px; max-width: 1100px; }
ul.verdicts li { margin: 3px 0; }
details pre { background: #f6f6f6; border: 1px solid #e4e4e4; border-radius: 4px; padding: 6px 10px; margin: 4px 0; max-width: 960px; overflow-x: auto; }
details pre code { background: none; padding: 0; }
section[data-block="verdict"] { border-left: 4px solid #3c6db5; }
ul.verdict { margin: 4px 0; padding-left: 20px; font-size: 15px; max-width: 1100px; }
ul.verdict li { margin: 3px 0; }
ul.verdict li.bad strong, strong.missed { color: #b00020; }
strong.met { color: #1b7a2f; }
span.ci { color: #555; font-size: 13px; }
div.warnings { color: #7a4b00; background: #fff8e6; border: 1px solid #f3dfae; border-radius: 4px; padding: 4px 10px; margin: 8px 0 2px; max-width: 1100px; }
div.warnings p { margin: 2px 0; font-weight: 600; }
div.warnings ul { margin: 2px 0; padding-left: 20px; }
span.better { color: #1b7a2f; font-weight: 600; }
footer { color: #777; font-size: 12px; margin-top: 32px; }
`;

/** The whole document. `body` is trusted HTML built from escaped parts. */
export function page(title: string, subtitle: string, body: string, footer: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="subtitle">${subtitle}</p>
${body}
<footer>${footer}</footer>
</body>
</html>
`;
}
