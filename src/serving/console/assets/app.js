// The phonecheck console: upload a list, watch its job, download the results. Plain
// JavaScript, no framework; every text from the server is set as textContent (never as HTML),
// so a cell holding "<script>" shows as text. The API key, when the server has keys, lives in
// this tab's memory only and goes in the Authorization header; there are no cookies.
"use strict";

const TEXT = {
  en: {
    demo: "Demo: answers come from the built-in simulated upstream, not from ALAPI; nothing is billed.",
    title: "phonecheck · list cleaning", signinTitle: "Sign in", apiKey: "API key", signin: "Sign in",
    badKey: "This key is not accepted.", uploadTitle: "Clean a list",
    drop: "Drop a TXT, CSV or Excel file here, or click to choose one",
    uploading: "Uploading…", sheet: "Sheet", column: "Number column", callback: "Callback URL (optional)",
    start: "Start checking", downloadCsv: "Results (CSV)", downloadXlsx: "Results (Excel)",
    downloadSplit: "One file per status (zip)", history: "History", name: "Name", state: "State",
    progress: "Rows", billed: "Billed", created: "Created", actions: "", open: "Open",
    cancel: "Cancel", resume: "Resume", delete: "Delete", rows: "rows", perSecond: "rows/s",
    eta: "ETA", done: "done", statusShares: "Status", provinces: "Top provinces", carriers: "Carriers",
    cost: "Checking this list now would bill about {billable} numbers: {cacheHits} are answered from the cache, {invalid} are invalid, {duplicates} repeat ({rows} rows).",
    usageTitle: "Usage this month", billedPerDay: "Numbers billed per day", noUsage: "Nothing billed this month yet.",
    usageTotal: "{billed} numbers billed, {cacheHits} answered from the cache, in {calls} calls ({from} to {to}, {zone}).",
    budget: "Budget: {left} of {limit} numbers a {period} left.", day: "day", month: "month",
    building: "Building the file: {rows} of {total} rows written…", waiting: "Building the file… {seconds} s",
    receiving: "Downloading… {mb} MB",
    noNumbers: "{name} holds no numbers: upload a file with phone numbers in it",
    states: { JOB_STATE_QUEUED: "queued", JOB_STATE_RUNNING: "running", JOB_STATE_SUCCEEDED: "succeeded",
      JOB_STATE_FAILED: "failed", JOB_STATE_CANCELLED: "cancelled" },
  },
  zh: {
    demo: "演示模式：结果来自内置的模拟上游，而非 ALAPI，不计费。",
    title: "空号检测 · phonecheck", signinTitle: "登录", apiKey: "API 密钥", signin: "登录",
    badKey: "密钥无效。", uploadTitle: "号码清洗", drop: "把 TXT、CSV 或 Excel 文件拖到这里，或点击选择",
    uploading: "上传中…", sheet: "工作表", column: "号码列", callback: "回调地址（可选）",
    start: "开始检测", downloadCsv: "结果（CSV）", downloadXlsx: "结果（Excel）",
    downloadSplit: "分状态文件（zip）", history: "历史任务", name: "名称", state: "状态",
    progress: "行数", billed: "计费", created: "创建时间", actions: "", open: "查看",
    cancel: "取消", resume: "继续", delete: "删除", rows: "行", perSecond: "行/秒",
    eta: "预计剩余", done: "完成", statusShares: "状态分布", provinces: "省份", carriers: "运营商",
    cost: "现在检测这份名单预计计费约 {billable} 个号码：{cacheHits} 个由缓存回答，{invalid} 个无效，{duplicates} 个重复（共 {rows} 行）。",
    usageTitle: "本月用量", billedPerDay: "每日计费号码", noUsage: "本月尚无计费。",
    usageTotal: "计费 {billed} 个号码，缓存回答 {cacheHits} 个，共 {calls} 次调用（{from} 至 {to}，{zone}）。",
    budget: "预算：每{period} {limit} 个号码，剩余 {left} 个。", day: "日", month: "月",
    building: "正在生成文件：已写入 {rows} / {total} 行…", waiting: "正在生成文件… {seconds} 秒",
    receiving: "下载中… {mb} MB",
    noNumbers: "{name} 中没有号码：请上传一个含有手机号的文件",
    states: { JOB_STATE_QUEUED: "排队中", JOB_STATE_RUNNING: "检测中", JOB_STATE_SUCCEEDED: "已完成",
      JOB_STATE_FAILED: "失败", JOB_STATE_CANCELLED: "已取消" },
  },
};
// The statuses and their labels come from the server's one table: [key, English, Chinese].
const STATUSES = JSON.parse(document.documentElement.dataset.statuses || "[]");
const statusLabel = (key) => {
  const row = STATUSES.find(([k]) => k === key);
  return row ? row[lang === "zh" ? 2 : 1] : key;
};
const COLORS = { real: "#2e7d32", empty: "#9e9e9e", suspended: "#ef6c00", silent: "#5e35b1",
  risk: "#c62828", notInDatabase: "#00838f", invalid: "#6d4c41", failed: "#b71c1c" };

let lang = document.documentElement.lang === "zh" ? "zh" : "en";
let apiKey = "";
let upload = null;
let following = null;
const t = (key) => TEXT[lang][key] ?? key;
// A text with {name} places filled from `values` (numbers in the page's language).
const fill = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, name) => {
  const v = values[name];
  return typeof v === "number" ? v.toLocaleString(lang === "zh" ? "zh-CN" : "en-US") : String(v ?? "");
});
const $ = (id) => document.getElementById(id);

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.title = t("title");
  if (document.getElementById("app").hidden === false) loadHistory();
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    // The API answers a google.rpc.Status: its message, and the reason of its ErrorInfo.
    let message = `${response.status}`;
    let reason = "";
    try {
      const body = await response.json();
      message = body.message || message;
      const info = (body.details || []).find((d) => (d["@type"] || "").endsWith("google.rpc.ErrorInfo"));
      reason = info ? info.reason : "";
    } catch (_) { /* not JSON */ }
    throw Object.assign(new Error(message), { reason });
  }
  return response;
}

function element(tag, text, attrs = {}) {
  const el = document.createElement(tag);
  if (text !== undefined && text !== null) el.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// Sign-in: only when the server has keys.
async function signIn() {
  apiKey = $("api-key").value.trim();
  $("signin-error").textContent = "";
  try {
    // Any call of the public API says whether the key is good.
    await api("/v1/jobs?page_size=1");
    $("signin").hidden = true;
    $("app").hidden = false;
    loadHistory();
  } catch (e) {
    apiKey = "";
    $("signin-error").textContent = `${t("badKey")} (${e.message})`;
  }
}

// Upload and preview.
async function sendFile(file) {
  $("upload-error").textContent = "";
  $("preview").hidden = true;
  $("upload-status").textContent = `${t("uploading")} ${file.name}`;
  try {
    // CreateUpload: the file as a form, the way `curl -F file=@list.csv` sends it.
    const form = new FormData();
    form.append("file", file, file.name);
    const response = await api("/v1/uploads", { method: "POST", body: form });
    const preview = await response.json();
    // One id per submission: a second click on Start, or a retry, makes no second job.
    preview.requestId = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    showPreview(preview);
  } catch (e) {
    $("upload-error").textContent = e.reason === "NO_NUMBERS" ? fill("noNumbers", { name: file.name }) : e.message;
  } finally {
    $("upload-status").textContent = "";
  }
}

function showPreview(preview) {
  upload = preview;
  $("preview-description").textContent = `${preview.name}: ${preview.description}`;
  const sheet = $("sheet");
  sheet.replaceChildren(...preview.sheets.map((s) => element("option", s, { value: s })));
  sheet.value = preview.sheet || "";
  $("sheet-label").hidden = preview.sheets.length === 0;
  const column = $("column");
  column.replaceChildren(...preview.columns.map((c, i) => element("option", `${i + 1}. ${c}`, { value: i + 1 })));
  column.disabled = preview.columns.length === 0;
  if (preview.column) column.value = preview.column;
  const table = $("preview-table");
  table.replaceChildren();
  if (preview.columns.length) {
    const head = element("tr");
    preview.columns.forEach((c, i) => head.append(element("th", c, i + 1 === preview.column ? { class: "number" } : {})));
    table.append(head);
  }
  for (const row of preview.rows) {
    const tr = element("tr");
    row.cells.forEach((cell, i) => tr.append(element("td", cell, i + 1 === preview.column ? { class: "number" } : {})));
    table.append(tr);
  }
  $("preview").hidden = false;
  loadCost();
}

// How the upload is read, as the choices above say (ReadOptions).
function readOptions() {
  return { sheet: $("sheet").value || "", column: Number($("column").value) || 0 };
}

// What the list would bill, read as the choices above say: CreateJob's preview
// (validate_only), so nothing is sent, stored or billed.
let costAsked = 0;
async function loadCost() {
  if (!upload) return;
  const asked = ++costAsked;
  $("cost").textContent = "";
  try {
    const body = { upload_id: upload.id, read_options: readOptions(), validate_only: true };
    const job = await (await api("/v1/jobs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
    const cost = { billable: Number(job.billable), cacheHits: Number(job.cache_hits),
      invalid: Number(job.invalid), duplicates: Number(job.duplicates), rows: Number(job.total) };
    if (asked === costAsked) $("cost").textContent = fill("cost", cost);
  } catch (e) {
    if (asked === costAsked) $("cost").textContent = e.message;
  }
}

async function rePreview() {
  if (!upload) return;
  const options = readOptions();
  // Another sheet: its number column is found anew.
  if (options.sheet !== (upload.sheet || "")) options.column = 0;
  const query = new URLSearchParams({ "read_options.sheet": options.sheet, "read_options.column": options.column });
  try {
    const response = await api(`/v1/uploads/${upload.id}?${query}`);
    const fresh = await response.json();
    upload = Object.assign(fresh, { requestId: upload.requestId });
    showPreview(upload);
  } catch (e) {
    $("upload-error").textContent = e.message;
  }
}

async function startJob() {
  if (!upload) return;
  $("start").disabled = true;
  try {
    const body = { upload_id: upload.id, read_options: readOptions(),
      callback_url: $("callback").value.trim(), request_id: upload.requestId || "" };
    const response = await api("/v1/jobs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const job = await response.json();
    upload = null;
    $("preview").hidden = true;
    $("file").value = "";
    follow(job);
    loadHistory();
  } catch (e) {
    $("upload-error").textContent = e.message;
  } finally {
    $("start").disabled = false;
  }
}

// Progress: WatchJob of the public API as Server-Sent Events, read from a streamed response
// (EventSource cannot send the key).
const ENDED = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"];

async function follow(job) {
  if (following) following.abort();
  const controller = new AbortController();
  following = controller;
  $("current").hidden = false;
  $("downloads").hidden = true;
  $("charts").replaceChildren();
  $("current-name").textContent = job.name || job.id;
  const started = { at: performance.now(), done: Number(job.done || 0) };
  render(job, started);
  try {
    const response = await api(`/v1/jobs/${job.id}:watch`,
      { signal: controller.signal, headers: { Accept: "text/event-stream" } });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const lines = block.split("\n");
        const event = (lines.find((l) => l.startsWith("event:")) || "event: message").slice(6).trim();
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (!data) continue;
        if (event === "error") throw new Error(JSON.parse(data).message);
        render(JSON.parse(data), started);
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") $("progress-text").textContent = e.message;
  }
  if (following === controller) loadHistory();
}

function render(job, started) {
  const total = Number(job.total || 0);
  const done = Number(job.done || 0);
  const progress = $("progress");
  progress.max = Math.max(total, 1);
  progress.value = done;
  progress.dataset.state = job.state;
  const seconds = (performance.now() - started.at) / 1000;
  const rate = seconds > 0.5 ? (done - started.done) / seconds : 0;
  const left = rate > 0 ? Math.round((total - done) / rate) : null;
  const state = TEXT[lang].states[job.state] || job.state;
  let line = `${state} · ${done.toLocaleString()} / ${total.toLocaleString()} ${t("rows")}`;
  if (rate > 0 && !ENDED.includes(job.state)) line += ` · ${Math.round(rate).toLocaleString()} ${t("perSecond")}`;
  if (left !== null && !ENDED.includes(job.state)) line += ` · ${t("eta")} ${left}s`;
  $("progress-text").textContent = line;
  const counts = statusCounts(job);
  $("counts").replaceChildren(...Object.entries(counts).map(([k, n]) =>
    element("li", `${statusLabel(k)}: ${n.toLocaleString()}`)));
  if (ENDED.includes(job.state)) {
    $("downloads").hidden = false;
    $("downloads").dataset.job = job.id;
    $("downloads").dataset.name = job.name || job.id;
    drawCharts(job, counts);
  }
}

function statusCounts(job) {
  const by = job.by_status || {};
  const counts = {};
  for (const [k] of STATUSES) {
    counts[k] = Number(by[k] || 0);
  }
  return counts;
}

// Charts, drawn as SVG: status shares, then top provinces and carriers from the summary.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function barChart(title, rows, colors, value = (n, total) => `${((100 * n) / total).toFixed(1)}%`) {
  const figure = element("figure");
  figure.append(element("figcaption", title));
  const width = 360, bar = 18, gap = 6, label = 110;
  const height = rows.length * (bar + gap) + gap;
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const total = rows.reduce((s, r) => s + r[1], 0) || 1;
  rows.forEach(([name, n, key], i) => {
    const y = gap + i * (bar + gap);
    chart.append(svg("text", { x: 0, y: y + bar - 4, "font-size": 12 }, name));
    chart.append(svg("rect", { x: label, y, height: bar, width: Math.max(1, ((width - label - 70) * n) / max),
      fill: (colors && colors[key]) || "#3a6ea5" }));
    chart.append(svg("text", { x: width - 66, y: y + bar - 4, "font-size": 12 }, value(n, total)));
  });
  figure.append(chart);
  return figure;
}

async function drawCharts(job, counts) {
  const charts = $("charts");
  if (charts.dataset.job === job.id) return;
  charts.dataset.job = job.id;
  const statuses = Object.entries(counts).filter(([, n]) => n > 0)
    .map(([k, n]) => [statusLabel(k), n, k]);
  charts.replaceChildren(barChart(t("statusShares"), statuses, COLORS));
  try {
    // GetJobSummary of the public API (counts as strings).
    const summary = await (await api(`/v1/jobs/${job.id}/summary`)).json();
    charts.append(barChart(t("provinces"), summary.provinces.map((p) => [p.name, Number(p.inputs)])));
    charts.append(barChart(t("carriers"), summary.carriers.map((p) => [p.name, Number(p.inputs)])));
  } catch (_) { /* the status chart stands alone */ }
}

// Usage: this month's billed numbers per day for the signed-in key, and its budget.
async function loadUsage() {
  try {
    // GetUsage of the public API: the caller's own rows of this month (counts as strings).
    const usage = await (await api("/v1/usage")).json();
    const total = { billed: 0, cacheHits: 0, calls: 0 };
    for (const day of usage.days) {
      total.billed += Number(day.billed); total.cacheHits += Number(day.cache_hits); total.calls += Number(day.calls);
    }
    $("usage-total").textContent = usage.days.length
      ? fill("usageTotal", Object.assign(total, { from: usage.from, to: usage.to, zone: usage.time_zone }))
      : t("noUsage");
    const b = usage.budget;
    $("budget").textContent = b
      ? fill("budget", { left: Number(b.left), limit: Number(b.limit), period: t(b.period) }) : "";
    const days = usage.days.filter((d) => Number(d.billed) > 0).map((d) => [d.day, Number(d.billed)]);
    $("usage").replaceChildren(...(days.length
      ? [barChart(t("billedPerDay"), days, null, (n) => n.toLocaleString())] : []));
  } catch (_) { /* the usage section stays as it was */ }
}

// Downloads: GetJobResults of the public API as a file (`accept` says which), fetched with
// the key, then saved under the server's file name. A workbook or a zip (`built`) is written
// whole on the server before its first byte leaves: the page names the build with a token
// (the Phonecheck-Build header) and asks how far it has got (or, when another replica answers
// that, shows the time waited), then counts the bytes as they arrive.
async function download(accept, built) {
  const path = `/v1/jobs/${$("downloads").dataset.job}/results`;
  const status = $("download-status");
  const started = Date.now();
  const token = built ? `d${started.toString(36)}${Math.random().toString(36).slice(2, 10)}` : null;
  let polling = null;
  if (token) {
    polling = setInterval(async () => {
      try {
        // GetFileBuild: how far the file being built has got.
        const build = await (await api(`/v1/builds/${token}`)).json();
        if (!build.done) {
          status.textContent = fill("building", { rows: Number(build.rows), total: Number(build.total) });
        }
      } catch (_) {
        status.textContent = fill("waiting", { seconds: Math.round((Date.now() - started) / 1000) });
      }
    }, 500);
  }
  try {
    const headers = { Accept: accept };
    if (token) headers["Phonecheck-Build"] = token;
    const response = await api(path, { headers });
    clearInterval(polling);
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const name = match ? decodeURIComponent(match[1]) : "download";
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.length;
      status.textContent = fill("receiving", { mb: (received / 1e6).toFixed(1) });
    }
    const blob = new Blob(parts, { type: response.headers.get("Content-Type") || "" });
    const url = URL.createObjectURL(blob);
    const link = element("a", null, { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    $("progress-text").textContent = e.message;
  } finally {
    clearInterval(polling);
    status.textContent = "";
  }
}

// History: the caller's jobs, newest first.
async function loadHistory() {
  loadUsage();
  let jobs = [];
  try {
    jobs = (await (await api("/v1/jobs?page_size=100")).json()).jobs;
  } catch (e) {
    return;
  }
  const table = $("history");
  const head = element("tr");
  for (const key of ["name", "state", "progress", "billed", "created", "actions"]) head.append(element("th", t(key)));
  table.replaceChildren(head);
  for (const job of jobs) {
    const tr = element("tr", null, { "data-job": job.id });
    tr.append(element("td", job.name || job.id));
    tr.append(element("td", TEXT[lang].states[job.state] || job.state));
    tr.append(element("td", `${Number(job.done || 0).toLocaleString()} / ${Number(job.total || 0).toLocaleString()}`));
    tr.append(element("td", Number(job.billed || 0).toLocaleString()));
    tr.append(element("td", localTime(job.created_at), { "data-testid": "created" }));
    const actions = element("td");
    const button = (label, handler) => {
      const b = element("button", t(label), { type: "button", class: "plain", "data-action": label });
      b.addEventListener("click", handler);
      actions.append(b);
    };
    button("open", () => follow(job));
    if (!ENDED.includes(job.state)) button("cancel", () => act(`/v1/jobs/${job.id}:cancel`, "POST"));
    if (job.state === "JOB_STATE_FAILED" || job.state === "JOB_STATE_CANCELLED") {
      button("resume", async () => { await act(`/v1/jobs/${job.id}:resume`, "POST"); follow(job); });
    }
    button("delete", () => act(`/v1/jobs/${job.id}`, "DELETE"));
    tr.append(actions);
    table.append(tr);
  }
}

// A time from the API (RFC 3339, UTC) in the browser's own zone, the zone named.
function localTime(text) {
  const at = new Date(text || "");
  if (Number.isNaN(at.getTime())) return "";
  return at.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZoneName: "short",
  });
}

async function act(path, method) {
  try { await api(path, { method }); } catch (e) { $("upload-error").textContent = e.message; }
  loadHistory();
}

// Wiring.
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; applyLanguage(); });
$("signin-button").addEventListener("click", signIn);
$("api-key").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn(); });
$("file").addEventListener("change", () => { if ($("file").files.length) sendFile($("file").files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) sendFile(e.dataTransfer.files[0]);
});
$("sheet").addEventListener("change", rePreview);
$("column").addEventListener("change", rePreview);
$("start").addEventListener("click", startJob);
// A CSV with the byte-order mark Excel needs to read UTF-8.
$("download-csv").addEventListener("click", () => download("text/csv; bom=true", false));
$("download-xlsx").addEventListener("click", () =>
  download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true));
$("download-split").addEventListener("click", () => download("application/zip", true));

$("demo").hidden = document.documentElement.dataset.demo !== "1";
applyLanguage();
if (document.documentElement.dataset.keys === "1") {
  $("signin").hidden = false;
} else {
  $("app").hidden = false;
  loadHistory();
}
