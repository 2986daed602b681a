// Opens a ferry HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and prints, as one JSON object, what a user sees: counts, failures, the
// result panel after clicking a failed cell, what the filters leave, the timeline, console
// errors, network requests and dialogs. tests/report.rs asserts on it.
//
// usage: node browser.js REPORT.html [--filter-host TEXT] [--screenshot PNG]
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

async function main() {
  const args = process.argv.slice(2);
  const file = path.resolve(args[0]);
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1200, height: 900 },
  });
  const seen = { consoleErrors: [], requests: [], dialogs: [], pageErrors: [] };
  try {
    const page = browser.pages()[0] || await browser.newPage();
    page.on("console", (m) => { if (m.type() === "error") seen.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => seen.pageErrors.push(String(e)));
    page.on("request", (r) => { if (!r.url().startsWith("file://")) seen.requests.push(r.url()); });
    page.on("dialog", async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
    const t0 = Date.now();
    await page.goto("file://" + file, { waitUntil: "load" });
    await page.waitForSelector("#app > *");
    // Until the page has been laid out and painted once.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    seen.openMs = Date.now() - t0;
    seen.bytes = fs.statSync(file).size;
    const text = (sel) => page.$eval(sel, (e) => e.textContent).catch(() => null);
    const texts = (sel) => page.$$eval(sel, (es) => es.filter((e) => e.offsetParent !== null).map((e) => e.textContent));
    seen.title = await page.title();
    seen.heading = await text("h1");
    seen.hostCount = await text("#host-count");
    seen.taskCount = await text("#task-count");
    seen.command = await text("#command");
    seen.exitCode = await text("#exit-code");
    seen.failures = await texts("#failures .failure");
    seen.matrixRows = (await texts("#matrix tbody tr[data-h]")).length;
    seen.matrixCells = await page.$$eval("#matrix td.cell", (es) => es.length);
    seen.taskRows = await texts("#task-table tr.task, #task-table tr.handler");
    seen.handlers = await texts("#handlers li");
    seen.diffs = await texts("#diffs .diff-entry");
    seen.timelineBars = await page.$$eval("#timeline rect.bar", (es) => es.map((e) => e.getBBox().width));
    seen.stages = await page.$$eval("rect.stage", (es) => es.map((e) => e.getAttribute("data-stage")));
    seen.exports = await texts("#exports tbody tr");
    seen.changes = await texts("#change-table tbody tr");
    seen.exportChanges = await texts("#export-table tbody tr");
    const failed = await page.$("#matrix td.cell.s-failed");
    if (failed) {
      await failed.click();
      seen.detailVisible = await page.isVisible("#detail");
      seen.detail = await text("#detail");
    }
    // The matrix draws the rows in view: scrolled to the end, the last host is there.
    await page.$eval(".matrix-wrap", (w) => { w.scrollTop = w.scrollHeight; }).catch(() => null);
    await page.waitForTimeout(100);
    seen.lastMatrixHost = await page.$$eval("#matrix tbody td.host", (es) => es.length ? es[es.length - 1].textContent : null).catch(() => null);
    await page.$eval(".matrix-wrap", (w) => { w.scrollTop = 0; }).catch(() => null);
    const host = opt("--filter-host");
    if (host !== null && await page.$("#filter-host")) {
      await page.fill("#filter-host", host);
      seen.filteredByHost = await texts("#matrix tbody tr td.host");
      await page.fill("#filter-host", "");
      await page.selectOption("#filter-status", "failed");
      seen.filteredByFailed = await texts("#matrix tbody tr td.host");
      seen.filterCount = await text("#filter-count");
      seen.failuresFiltered = (await texts("#failures .failure")).length;
      await page.selectOption("#filter-status", "");
    }
    seen.bodyText = await page.evaluate(() => document.body.innerText);
    seen.scriptCount = await page.$$eval("script", (es) => es.length);
    const shot = opt("--screenshot");
    if (shot) {
      await page.evaluate(() => { const d = document.getElementById("detail"); if (d) d.hidden = true; });
      await page.screenshot({ path: shot, fullPage: true });
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(seen));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
