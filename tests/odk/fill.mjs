// Fill a built XForm headless with ODK's own form engine (@getodk/xforms-engine) and report.
//
// Usage: node tests/odk/fill.mjs < request.json
//   request = {
//     "form": "build/forms/keluarga_risiko.xml",   // the built XForm
//     "attachments": "build/forms",                // directory holding its CSV media
//     "language": "Indonesian (id)",               // language of the reported messages
//     "answers": [["kecamatan", "32.77.01"], ["anak[2]/jk", "p"], ...],  // applied in order
//     "preload": {"deviceID": "...", "username": "..."}
//   }
// `answers` may also be an object (insertion order). A key is an absolute reference
// (`/data/wilayah/desa`), a question name that is unique in the form (`desa`), or a repeat
// path with 1-based indexes (`anak[2]/jk`); missing repeat instances are added.
// Values are strings; select_multiple takes a list or a space-separated string; null clears.
//
// Prints JSON: {"languages", "violations": [{"path", "kind", "message"}], "errors",
// "submission_xml"}. Exit code 0 when the run completed (violations are data, not failures),
// 2 when the harness itself could not do what was asked (bad form, unknown path...).
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

// The engine expects a browser-like global DOM; jsdom provides it (see shared/design.md).
const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>');
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'XPathResult']) {
  globalThis[name] = dom.window[name];
}
globalThis.document = dom.window.document;
globalThis.__dirname = dirname(fileURLToPath(import.meta.url));

const { createInstance } = await import('@getodk/xforms-engine');

function readStdin() {
  return readFileSync(0, 'utf-8');
}

function fail(message) {
  process.stdout.write(JSON.stringify({ fatal: message }) + '\n');
  process.exit(2);
}

function walk(node, visit) {
  visit(node);
  const children = node.currentState.children;
  if (Array.isArray(children)) {
    for (const child of children) walk(child, visit);
  }
}

function index(root) {
  const byRef = new Map();
  walk(root, (node) => byRef.set(node.currentState.reference, node));
  return byRef;
}

// `anak[2]/jk` -> `/data/anak[2]/jk`; `desa` -> the one leaf whose last segment is `desa`.
function resolveRef(root, key) {
  const rootRef = root.currentState.reference;
  if (key.startsWith('/')) return key;
  if (key.includes('/') || key.includes('[')) {
    // Prefix the repeat's own path (groups included) found from its definition.
    const first = key.split('/')[0].replace(/\[\d+\]$/, '');
    const matches = [];
    walk(root, (node) => {
      const ref = node.currentState.reference;
      if (node.nodeType.startsWith('repeat-range') && ref.split('/').pop() === first) {
        matches.push(ref);
      }
    });
    if (matches.length !== 1) throw new Error(`cannot resolve ${key}: repeat ${first} found ${matches.length} times`);
    return matches[0].slice(0, matches[0].length - first.length) + key;
  }
  const matches = [];
  walk(root, (node) => {
    const ref = node.currentState.reference;
    if (ref !== rootRef && ref.split('/').pop() === key && !/\[\d+\]/.test(ref)) matches.push(ref);
  });
  if (matches.length !== 1) throw new Error(`cannot resolve ${key}: found ${matches.length} matches`);
  return matches[0];
}

// Add repeat instances so that every `[n]` step of ref exists.
function ensureRepeats(root, ref) {
  const steps = ref.split('/').filter(Boolean);
  let path = '';
  for (const step of steps) {
    const m = step.match(/^(.+)\[(\d+)\]$/);
    if (m) {
      const rangeRef = `${path}/${m[1]}`;
      const range = index(root).get(rangeRef);
      if (!range || typeof range.addInstances !== 'function') {
        throw new Error(`${rangeRef} is not a repeat that accepts new instances`);
      }
      const want = Number(m[2]);
      const have = range.currentState.children.length;
      if (have < want) range.addInstances(have - 1, want - have);
    }
    path += `/${step}`;
  }
}

function setAnswer(node, value, key) {
  if (!node.currentState.relevant) {
    throw new Error(`${key} is not relevant with the answers given so far`);
  }
  if (node.nodeType === 'select') {
    if (value === null) return node.selectValues([]);
    const values = Array.isArray(value) ? value : String(value).split(/\s+/).filter(Boolean);
    if (node.selectType === 'select1') {
      if (values.length !== 1) throw new Error(`${key} takes one value`);
      if (!node.getValueOption(values[0])) {
        throw new Error(`${key}: ${values[0]} is not among the options shown`);
      }
      return node.selectValue(values[0]);
    }
    return node.selectValues(values);
  }
  if (node.nodeType === 'input') {
    return node.setValue(value === null ? '' : String(value));
  }
  throw new Error(`${key} is a ${node.nodeType} node and cannot be answered`);
}

async function main() {
  const request = JSON.parse(readStdin());
  const formPath = resolve(request.form);
  const attachmentsDir = resolve(request.attachments ?? dirname(formPath));
  const language = request.language ?? null;
  const xml = readFileSync(formPath, 'utf-8');

  const fetchFormAttachment = async (url) => {
    const file = join(attachmentsDir, basename(decodeURIComponent(String(url.href ?? url))));
    const body = readFileSync(file, 'utf-8');
    const type = file.endsWith('.csv') ? 'text/csv' : 'application/xml';
    return new Response(body, { status: 200, headers: { 'Content-Type': type } });
  };

  let instance;
  try {
    instance = await createInstance(xml, {
      form: { fetchFormAttachment, missingResourceBehavior: 'ERROR' },
      instance: { preloadProperties: request.preload ?? { deviceID: 'pantau-test', username: 'kader01' } },
    });
  } catch (err) {
    fail(`form did not load: ${err?.message ?? err}`);
  }
  const root = instance.root;
  const languages = root.languages.map((l) => l.language);
  if (language) {
    const lang = root.languages.find((l) => l.language === language);
    if (!lang) fail(`language ${language} not in form (${languages.join(', ')})`);
    root.setLanguage(lang);
  }

  const errors = [];
  const answers = Array.isArray(request.answers)
    ? request.answers
    : Object.entries(request.answers ?? {});
  for (const [key, value] of answers) {
    try {
      const ref = resolveRef(root, key);
      ensureRepeats(root, ref);
      const node = index(root).get(ref);
      if (!node) throw new Error(`no node at ${ref}`);
      setAnswer(node, value, key);
    } catch (err) {
      errors.push({ path: key, message: String(err?.message ?? err) });
    }
  }

  const violations = root.validationState.violations.map((v) => ({
    path: v.reference,
    kind: v.violation.condition,
    message: v.violation.message ? v.violation.message.asString : null,
  }));
  const payload = await root.prepareInstancePayload({ payloadType: 'monolithic' });
  const file = payload.data[0].get('xml_submission_file');
  const submissionXml = await file.text();
  process.stdout.write(
    JSON.stringify({
      languages,
      status: payload.status,
      violations,
      errors,
      submission_xml: submissionXml,
    }) + '\n',
  );
}

main().catch((err) => fail(String(err?.stack ?? err)));
