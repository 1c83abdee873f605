// Opens GraphiQL in Debian's Chromium (driven by playwright-core, never a
// downloaded browser) with every request off the server refused, as on a
// machine without internet: the page must load, its documentation must list
// the schema, and a query typed into the editor must run and show its result.
// Prints one JSON object; saves a screenshot.
// Usage: node graphiql.mjs <server URL> <screenshot path> <query> <text the result must contain>
import { chromium } from 'playwright-core';

const [serverUrl, screenshot, query, expected] = process.argv.slice(2);
const origin = new URL(serverUrl).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const report = { offsite: [], consoleErrors: [], failed: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    report.offsite.push(url);
    return route.abort('internetdisconnected');
  });
  page.on('console', (message) => {
    if (message.type() === 'error') report.consoleErrors.push(message.text());
  });
  page.on('requestfailed', (request) => report.failed.push(request.url()));

  await page.goto(serverUrl, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });

  // The documentation explorer lists the root types; the query root's
  // page lists its fields.
  await page.getByLabel('Show Documentation Explorer').click();
  const docs = page.locator('.graphiql-doc-explorer');
  const queryRoot = docs.locator('.graphiql-doc-explorer-type-name', { hasText: /^QueryRoot$/ }).first();
  await queryRoot.waitFor({ timeout: 30_000 });
  report.rootTypes = await docs.innerText();
  await queryRoot.click();
  await docs.getByText('products', { exact: true }).first().waitFor({ timeout: 30_000 });
  report.docs = await docs.innerText();

  // Type the query into the editor, replacing the example, and run it.
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(query, { delay: 20 });
  report.typed = await page.evaluate(() =>
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue());
  // GraphiQL re-reads the operation's name shortly after an edit (debounced);
  // pause as a person would before running it.
  await page.waitForTimeout(1_000);
  await page.getByLabel('Execute query (Ctrl-Enter)').click();
  const result = page.locator('.graphiql-response .CodeMirror').first();
  await result.getByText(expected).first().waitFor({ timeout: 30_000 });
  report.result = await page.evaluate(() =>
    document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (error) {
  report.error = String(error);
  const page = browser.contexts()[0]?.pages()[0];
  if (page) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    report.html = (await page.content().catch(() => '')).slice(0, 20_000);
  }
  console.log(JSON.stringify(report));
  process.exitCode = 1;
} finally {
  await browser.close();
}
if (process.exitCode) process.exit();
console.log(JSON.stringify(report));
