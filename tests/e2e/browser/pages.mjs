// Drives Debian's chromium, headless, through ocipfsd's pages: the home page, the look-up form,
// a layer page's facts, an invalid CID, and a layer whose file name is an HTML tag.
//   node pages.mjs   (environment: CHROMIUM, BASE_URL, LAYER_CID, LAYER_FILE, LAYER_DIGEST,
//                     HOSTILE_CID, HOSTILE_FILE, SHOTS)
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("BASE_URL");
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok" : "FAILED"}: ${what}`);
  if (!ok) failures.push(what);
};

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  timeout: 60_000,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  page.setDefaultNavigationTimeout(20_000);
  const console_lines = [];
  const dialogs = [];
  page.on("console", (message) => console_lines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => console_lines.push(`pageerror: ${error.message}`));
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });

  // The home page, and its form leading to a layer's page.
  let response = await page.goto(`${base}/`);
  check(response.status() === 200, `GET / is 200 (${response.status()})`);
  check((await page.locator("h1").innerText()) === "ocipfs", "the home page has its title");
  const host = new URL(base).host;
  check((await page.content()).includes(`COPY --from=${host}/layer/`), `the examples name ${host}`);
  await page.fill("input[name=cid]", env("LAYER_CID"));
  await Promise.all([page.waitForURL(/\/layer\//), page.click("button[type=submit]")]);
  check(page.url() === `${base}/layer/${env("LAYER_CID")}`, `the form leads to ${page.url()}`);
  const text = await page.locator("body").innerText();
  check(text.includes(env("LAYER_DIGEST")), "the layer page shows the layer's digest");
  check(text.includes(env("LAYER_FILE")), "the layer page shows the file name");
  check(text.includes(`COPY --from=${host}/layer/${env("LAYER_CID")}:${env("LAYER_FILE")} / /`),
        "the layer page has the COPY --from= line");
  check(text.includes("linux/arm64"), "the layer page lists the platforms");
  await page.screenshot({ path: `${env("SHOTS")}/layer.png`, fullPage: true });

  // An invalid CID in the form: a page saying so, 400.
  await page.goto(`${base}/`);
  await page.fill("input[name=cid]", "not-a-cid");
  const [invalid] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("cid=not-a-cid")),
    page.click("button[type=submit]"),
  ]);
  check(invalid.status() === 400, `an invalid CID is 400 (${invalid.status()})`);
  check((await page.locator("body").innerText()).includes("is not a CID"), "and says so");

  // The hostile name: text in the DOM, no element made of it, no script run.
  response = await page.goto(`${base}/layer/${env("HOSTILE_CID")}`);
  check(response.status() === 200, `the hostile layer's page is 200 (${response.status()})`);
  const hostile_text = await page.locator("body").innerText();
  check(hostile_text.includes(env("HOSTILE_FILE")), "the hostile file name is shown as text");
  check((await page.locator("img").count()) === 0, "no <img> element was made");
  await page.screenshot({ path: `${env("SHOTS")}/hostile.png`, fullPage: true });

  check(dialogs.length === 0, `no dialog fired (${dialogs.join(", ")})`);
  const csp = console_lines.filter((line) => /Content.Security.Policy|Refused to/i.test(line));
  check(csp.length === 0, `no Content-Security-Policy violation in the console (${csp.join("; ")})`);
  console.log(`console: ${console_lines.length} lines`);
  for (const line of console_lines) console.log(`  ${line}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log(`screenshots: ${env("SHOTS")}/layer.png ${env("SHOTS")}/hostile.png`);
