// proposals.test.js: the proposal wizard in a real browser, from "New proposal" through the six
// questions (with Back and the Enter key) to the written document, its in-place editing with a
// live preview, regenerating one section, the exported Markdown, completing and deleting.
// Run by t/0490-browser-proposals.t. SCREENSHOT_DIR=dir keeps pictures of the pages.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lib = require('./lib.js');

const stamp = Date.now();
let b;
let page;
let proposalPath;

const answers = [
	['client_name', 'Acme Bakery'],
	['project_title', 'Website redesign'],
	['project_goals', 'A faster, mobile-friendly site\nCustomers can order cakes online'],
	['timeline', 'Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3'],
	['deliverables', 'Designs for the home and menu pages\nOnline ordering for custom cakes'],
	['technologies', 'WordPress, WooCommerce, Stripe'],
];

async function register(context, who) {
	const res = await context.request.post(lib.url('/api/v1/auth/register'), {
		data: { email: `${who}-${stamp}@example.com`, password: 'a browser password', name: who },
	});
	assert.equal(res.status(), 201, `${who} is registered`);
}

async function shot(name) {
	if (process.env.SCREENSHOT_DIR)
		await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

// The proposal as the API has it.
async function stored() {
	const res = await page.context().request.get(lib.url('/api/v1' + proposalPath));
	assert.equal(res.status(), 200);
	return res.json();
}

async function sections() {
	const res = await page.context().request.get(lib.url('/api/v1' + proposalPath + '/sections'));
	assert.equal(res.status(), 200);
	const by = {};
	for (const s of (await res.json()).items)
		by[s.section_name] = s;
	return by;
}

async function stepCounter() {
	return (await page.locator('[data-step-counter]').textContent()).trim();
}

// Clicks the visible Next button of the wizard and waits for the next page.
async function next() {
	return lib.navigate(page, () => page.locator('.wizard-nav button.next').click());
}

before(async () => {
	b = await lib.launch();
	page = await b.newPage();
	// data-confirm questions: a person would say yes.
	page.on('dialog', (d) => d.accept());
	await register(b.context, 'proposals');
});

after(async () => {
	if (b)
		await b.close();
});

test('"New proposal" opens the first question', async () => {
	const res = await lib.go(page, '/proposals');
	assert.equal(res.status(), 200);
	assert.match(await page.locator('.empty-state').textContent(), /No proposals yet/);
	await lib.navigate(page, () => page.locator('[data-new-proposal]').click());
	proposalPath = new URL(page.url()).pathname;
	assert.match(proposalPath, /^\/proposals\/[0-9a-f-]{36}$/);
	assert.equal(await stepCounter(), 'Step 1 of 6');
	assert.equal(await page.locator('label[for="answer"]').textContent(), 'Who is the proposal for?');
	assert.ok(await page.locator('#answer').evaluate((el) => el === document.activeElement),
	    'the answer box has the focus');
	assert.match(await page.locator('.wizard-example').textContent(), /Acme Bakery/);
	assert.equal(await page.locator('progress.progress').getAttribute('value'), '0');
	await shot('wizard-step-1');
	lib.assertNoConsoleErrors(page);
});

test('the six questions, with Back and the Enter key', async () => {
	// Step 1 with the Next button.
	await page.locator('#answer').fill(answers[0][1]);
	await next();
	assert.equal(await stepCounter(), 'Step 2 of 6');
	assert.match(await page.locator('[data-progress]').textContent(), /17% answered/);

	// Step 2 with the Enter key: Enter means Next, not Back.
	await page.locator('#answer').fill(answers[1][1]);
	await lib.navigate(page, () => page.locator('#answer').press('Enter'));
	assert.equal(await stepCounter(), 'Step 3 of 6');
	assert.match(await page.locator('[data-progress]').textContent(), /33% answered/);

	// Back from step 3 shows step 2 with its answer.
	await lib.navigate(page, () => page.locator('.wizard-nav button[value="back"]').click());
	assert.equal(await stepCounter(), 'Step 2 of 6');
	assert.equal(await page.locator('#answer').inputValue(), 'Website redesign');
	await next();

	for (let i = 2; i < 6; i++) {
		assert.equal(await stepCounter(), `Step ${i + 1} of 6`);
		assert.equal(await page.locator('input[name="field"]').getAttribute('value'), answers[i][0]);
		await page.locator('#answer').fill(answers[i][1]);
		if (i === 5)
			await shot('wizard-step-6');
		await next();
	}
	const p = await stored();
	assert.equal(p.progress, 100);
	assert.equal(p.history.length, 6);
	assert.equal(p.next_question, null);
	lib.assertNoConsoleErrors(page);
});

test('the sixth answer shows the written document', async () => {
	assert.equal(lib.pathOf(page), proposalPath + '?msg=written');
	assert.equal(await page.locator('.doc-header h1').textContent(), 'Website redesign for Acme Bakery');
	assert.deepEqual(await page.locator('.doc-section > h2').allTextContents(), [
		'Executive summary', 'Objectives', 'Scope and deliverables',
		'Timeline and milestones', 'Technology approach', 'Next steps',
	]);
	assert.match(await page.locator('#section-timeline [data-section-body]').textContent(), /Discovery: 2 weeks/);
	assert.ok(await page.locator('[data-print]').isVisible(), 'the print button shows with JavaScript');
	assert.equal(await page.locator('form .doc').count(), 0, 'the document is not inside a form');
	await shot('document');

	// On paper: the document alone, without navigation, buttons or editors.
	await page.emulateMedia({ media: 'print' });
	assert.ok(await page.locator('.doc-header h1').isVisible(), 'the title prints');
	assert.ok(await page.locator('#section-next_steps [data-section-body]').isVisible(), 'the sections print');
	for (const sel of ['.site-header', '.page-header', 'details.section-edit', '.section-meta', 'button'])
		assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} does not print`);
	await shot('document-print');
	await page.emulateMedia({ media: 'screen' });
	lib.assertNoConsoleErrors(page);
});

test('a section is edited in place with a live preview', async () => {
	const before = await sections();
	const section = page.locator('#section-objectives');
	await section.locator('details.section-edit > summary').click();
	const box = section.locator('textarea[name="content"]');
	assert.ok(await box.isVisible(), 'the editor opens');
	assert.equal(await box.inputValue(), before.objectives.content, 'with the Markdown of the section');
	await box.fill('## Our aims\n\n- Sell **more** cakes online');
	const url = page.url();
	await section.locator('[data-preview-button]').click();
	await section.locator('[data-preview] strong').waitFor();
	assert.equal(page.url(), url, 'the preview did not leave the page');
	assert.equal(await section.locator('[data-preview] h2').textContent(), 'Our aims');
	// Typing keeps the preview current.
	await box.fill('## Our goals\n\n- Sell **more** cakes online');
	await section.locator('[data-preview] h2', { hasText: 'Our goals' }).waitFor();
	assert.equal((await sections()).objectives.content, before.objectives.content, 'a preview saves nothing');
	await shot('section-preview');

	await lib.navigate(page, () => section.locator('button[value="save"]').click());
	assert.equal(lib.pathOf(page), proposalPath + '?msg=section_saved');
	assert.equal(await page.locator('#section-objectives .markdown h2').textContent(), 'Our goals');
	assert.match(await page.locator('#section-objectives .section-meta').textContent(), /edited by hand/);
	const after = await sections();
	for (const name of Object.keys(before)) {
		if (name !== 'objectives')
			assert.equal(after[name].content, before[name].content, `${name} is unchanged`);
	}
	lib.assertNoConsoleErrors(page);
});

test('one section is regenerated on its own', async () => {
	const before = await sections();
	await lib.navigate(page, () =>
	    page.locator('#section-scope_and_deliverables button', { hasText: 'Regenerate this section' }).click());
	assert.equal(lib.pathOf(page), proposalPath + '?msg=section_regenerated');
	const after = await sections();
	assert.notEqual(after.scope_and_deliverables.last_updated, before.scope_and_deliverables.last_updated);
	assert.match(after.objectives.content, /Our goals/, 'the edited section keeps its edit');
	for (const name of ['executive_summary', 'timeline', 'technology', 'next_steps'])
		assert.equal(after[name].last_updated, before[name].last_updated, `${name} is untouched`);
	lib.assertNoConsoleErrors(page);
});

test('the export is a Markdown file named after the project', async () => {
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.locator('[data-export]').click(),
	]);
	assert.equal(download.suggestedFilename(), 'website-redesign.md');
	const file = path.join(process.env.T || '/tmp', `export-${stamp}.md`);
	await download.saveAs(file);
	const text = fs.readFileSync(file, 'utf8');
	assert.match(text, /^# Website redesign for Acme Bakery\n/);
	assert.match(text, /\n## Objectives\n\n## Our goals\n/);
	assert.match(text, /\n## Next steps\n/);
	lib.assertNoConsoleErrors(page);
});

test('mark completed, reopen, then delete with a confirmation', async () => {
	await lib.navigate(page, () => page.locator('button', { hasText: 'Mark completed' }).click());
	assert.equal(await page.locator('[data-status]').first().textContent(), 'Completed');
	assert.equal(await page.locator('details.section-edit').count(), 0, 'no editors while completed');
	await lib.navigate(page, () => page.locator('button', { hasText: 'Reopen' }).click());
	assert.equal(await page.locator('[data-status]').first().textContent(), 'Active');
	assert.equal(await page.locator('details.section-edit').count(), 6);

	await lib.navigate(page, () => page.locator('a.btn-danger', { hasText: 'Delete' }).click());
	assert.match(await page.locator('h1').textContent(), /Delete this proposal\?/);
	await lib.navigate(page, () => page.locator('button', { hasText: 'Delete proposal' }).click());
	assert.equal(lib.pathOf(page), '/proposals?msg=deleted');
	assert.match(await page.locator('.empty-state').textContent(), /No proposals yet/);
	lib.assertNoConsoleErrors(page);
});
