// Drives Berth's web UI in Debian's headless Chromium, as a user would: sign in, browse to an image with a
// signature and an SBOM, see the referrer tree, open a referrer, delete a tag, see usage. Run by UiBrowserTest:
//   node ui.test.mjs BASE_URL CONTENT_JSON SCREENSHOT_DIR
// CONTENT_JSON names what the test pushed: {repository, image, signature, sbom, sbomSignature, user, password, hostile}.
// Exits non-zero, saying why, at the first thing that is not as expected.
import { chromium } from "playwright-core";

const [base, contentJson, screenshots] = process.argv.slice(2);
const content = JSON.parse(contentJson);
const problems = [];

function expect(condition, what) {
  if (!condition) {
    throw new Error("expected " + what);
  }
  console.log("ok - " + what);
}

const browser = await chromium.launch({
  executablePath: process.env.BERTH_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", async (dialog) => {
    problems.push("a dialog opened: " + dialog.message());
    await dialog.dismiss();
  });
  page.on("console", (message) => {
    // a page answered with an error status logs one; those the test provokes are checked where it does
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push("console error: " + message.text());
    }
  });
  page.on("pageerror", (error) => problems.push("script error: " + error.message));
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/ui/static/") && response.status() >= 400) {
      problems.push(`${path} answered ${response.status()}`);
    }
  });
  const shot = async (name) => {
    if (screenshots) {
      await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true });
    }
  };

  // an anonymous visitor asking for a repository it may not pull is sent to sign in, and back after
  await page.goto(`${base}/ui/r/${content.repository}`);
  expect(new URL(page.url()).pathname === "/ui/login", "the sign-in page for a private repository");
  await shot("sign-in");
  await page.fill("input[name=username]", content.user);
  await page.fill("input[name=password]", "not the password");
  await page.click("form.login button");
  expect((await page.textContent("p.error")).includes("Incorrect user name or password."), "a wrong password refused");
  await page.fill("input[name=username]", content.user);
  await page.fill("input[name=password]", content.password);
  await page.click("form.login button");
  expect(new URL(page.url()).pathname === `/ui/r/${content.repository}`, "back at the repository after signing in");
  expect((await page.textContent("header .who")) === content.user, "the header names the user");
  const quota = await page.textContent("#quotas");
  expect(quota.includes("team/**") && quota.includes("of 1.0 GiB") && quota.includes("2 of 100"),
    `the repository's quota with its usage, got ${quota}`);
  const rows = await page.locator("#images tbody tr").count();
  expect(rows === 2, `two images listed (an image and an index), found ${rows}`);
  await shot("repository");

  // the image with its tags, its annotation shown as text, and its referrer tree
  await page.click(`#images a[href$="${content.image}"]`);
  expect(page.url().endsWith(`/-/images/${content.image}`), "the image page");
  const annotation = await page.textContent("#annotations td");
  expect(annotation === content.hostile, "the annotation's markup shown as text");
  expect((await page.title()) !== "owned" && (await page.locator("img[src=x]").count()) === 0,
    "nothing of the annotation ran or rendered");
  const groups = await page.locator("#referrers > details > summary .kind").allTextContents();
  expect(JSON.stringify(groups) === JSON.stringify(["Signature", "SBOM"]), `signature and SBOM groups, got ${groups}`);
  const nested = page.locator(`#referrers li:has(> a[href$="${content.sbom}"]) details summary .kind`);
  expect((await nested.allTextContents()).join() === "Signature", "the SBOM's own signature under it");
  expect((await page.locator("#layers tbody tr").count()) === 1, "one layer");
  expect((await page.textContent("#config")).includes("linux/amd64"), "the config's platform");
  expect((await page.locator(".pull code").first().textContent()).startsWith("docker pull "), "the docker pull command");
  await shot("image");

  // a referrer opens like an image and links back to its subject
  await page.click(`#referrers a[href$="${content.sbom}"]`);
  expect(page.url().endsWith(`/-/images/${content.sbom}`), "the SBOM's page");
  expect((await page.locator(`a[href$="/-/images/${content.image}"]`).count()) === 1, "a link to its subject");
  expect((await page.textContent(".facts")).includes("SBOM"), "the SBOM shown as one");

  // deleting a tag asks first, then the tag is gone
  await page.goto(`${base}/ui/r/${content.repository}`);
  await page.click(`#images a[title="Delete tag stable"]`);
  expect((await page.textContent("h1")) === `Delete tag ${content.repository}:stable?`, "the question before deleting");
  await page.click("#confirm");
  expect((await page.textContent(".notice")) === "Tag stable deleted.", "the deletion confirmed");
  const tags = await page.locator("#images .tag").allTextContents();
  expect(!tags.some((tag) => tag.startsWith("stable")) && tags.some((tag) => tag.startsWith("v1")),
    `stable gone and v1 kept, tags now ${tags}`);

  // usage of the namespace
  const namespace = content.repository.split("/")[0] + "/";
  await page.goto(`${base}/ui/usage?namespace=${encodeURIComponent(namespace)}`);
  expect(/\d/.test(await page.textContent("#usage-bytes")), "the namespace's bytes");
  const largest = await page.textContent("#largest");
  expect(largest.includes(content.repository) && largest.includes("1.0 GiB, 100 images"),
    "the repository among the largest, with its quota");
  await shot("usage");

  await page.goto(`${base}/ui/`);
  expect((await page.textContent("#repositories")).includes(content.repository), "the repository list");
  await shot("repositories");

  // signing out ends the session
  await page.click("header form button");
  await page.goto(`${base}/ui/r/${content.repository}`);
  expect(new URL(page.url()).pathname === "/ui/login", "signed out");

  expect(problems.length === 0, "no dialog, script error or policy violation: " + problems.join("; "));
} catch (error) {
  console.log("not ok - " + error.message);
  if (problems.length > 0) {
    console.log("also: " + problems.join("; "));
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
