// Drives the phonecheck web console in a real browser (Debian's chromium through
// playwright-core), for tests/console.rs, which starts the server and checks what this writes.
//
//   node e2e.mjs upload URL OUTDIR        upload OUTDIR/list.csv, wait for the job, download
//                                         the results and the per-status zip, screenshot
//   node e2e.mjs keys URL OUTDIR KEY_A KEY_B
//                                         sign-in needed; A's job is not listed for B
//
// Prints one JSON line with what it saw; exits non-zero on any failure.
import { chromium } from "playwright-core";
import path from "node:path";

const [mode, url, out, keyA, keyB] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.PHONECHECK_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const seen = { mode };
try {
  if (mode === "upload") await upload();
  else if (mode === "keys") await keys();
  else throw new Error(`unknown mode ${mode}`);
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}

async function upload() {
  const context = await browser.newContext({ acceptDownloads: true, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  seen.lang = await page.evaluate(() => document.documentElement.lang);
  // A file without numbers is refused at upload, in the page's language.
  await page.getByTestId("upload-input").setInputFiles(
    { name: "empty.csv", mimeType: "text/csv", buffer: Buffer.from("\n\n") });
  await page.getByTestId("upload-error").filter({ hasText: /\S/ }).waitFor();
  seen.emptyRefused = await page.getByTestId("upload-error").textContent();
  await page.getByTestId("upload-input").setInputFiles(path.join(out, "list.csv"));
  await page.getByTestId("preview-table").locator("td").first().waitFor();
  seen.preview = await page.getByTestId("preview-description").textContent();
  // Cells are shown as text: the markup in them is visible, and none of it ran.
  seen.scriptShownAsText = await page.getByTestId("preview-table")
    .locator("td", { hasText: "<script>" }).count();
  seen.column = await page.getByTestId("column").inputValue();
  // What the list would bill, shown before Start.
  await page.getByTestId("cost").filter({ hasText: /\d/ }).waitFor();
  seen.cost = await page.getByTestId("cost").textContent();
  await page.getByTestId("upload-submit").click();
  const progress = page.getByTestId("job-progress");
  const values = new Set();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = await progress.getAttribute("data-state");
    values.add(Number(await progress.getAttribute("value") || (await progress.evaluate((p) => p.value))));
    if (state === "JOB_STATE_SUCCEEDED") break;
    if (state === "JOB_STATE_FAILED" || state === "JOB_STATE_CANCELLED") throw new Error(`job ${state}`);
    if (Date.now() > deadline) throw new Error("the job did not finish in 90 s");
    await page.waitForTimeout(100);
  }
  seen.progressValues = [...values].sort((a, b) => a - b);
  seen.progressText = await page.getByTestId("progress-text").textContent();
  seen.counts = await page.locator("#counts").textContent();
  const downloads = [["download-results", "results.csv"], ["download-results-xlsx", "results.xlsx"],
    ["download-split", "by-status.zip"]];
  for (const [testid, file] of downloads) {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
    await download.saveAs(path.join(out, file));
    seen[file] = download.suggestedFilename();
  }
  // The build's progress line is gone once the file is saved.
  seen.downloadStatus = await page.getByTestId("download-status").textContent();
  await page.getByTestId("charts").locator("svg").first().waitFor();
  seen.charts = await page.getByTestId("charts").locator("svg").count();
  seen.history = await page.getByTestId("history").locator("tr[data-job]").count();
  // This month's usage, the job's numbers in it.
  await page.getByTestId("usage").locator("svg").first().waitFor();
  seen.usage = await page.getByTestId("usage-total").textContent();
  seen.created = await page.getByTestId("history").getByTestId("created").first().textContent();
  seen.xss = await page.evaluate(() => window.__xss === 1);
  seen.errors = errors;
  await page.screenshot({ path: path.join(out, "console.png"), fullPage: true });
}

async function keys() {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto(url);
  seen.signInShown = await page.getByTestId("api-key").isVisible();
  seen.uploadHidden = !(await page.getByTestId("upload-input").isVisible());
  await page.getByTestId("api-key").fill("not-a-key");
  await page.getByTestId("sign-in").click();
  await page.locator("#signin-error").filter({ hasText: "not accepted" }).waitFor();
  seen.badKeyRefused = true;
  await page.getByTestId("api-key").fill(keyA);
  await page.getByTestId("sign-in").click();
  await page.getByTestId("history").locator("tr[data-job]").first().waitFor();
  seen.jobsOfA = await page.getByTestId("history").locator("tr[data-job]").count();

  const other = await (await browser.newContext({ locale: "en-US" })).newPage();
  await other.goto(url);
  await other.getByTestId("api-key").fill(keyB);
  await other.getByTestId("sign-in").click();
  await other.getByTestId("history").locator("tr").first().waitFor();
  await other.waitForTimeout(500);
  seen.jobsOfB = await other.getByTestId("history").locator("tr[data-job]").count();
}
