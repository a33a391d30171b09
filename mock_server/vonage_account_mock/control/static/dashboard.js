// The dashboard's one script: reads the control API (same origin, JSON) and shows it.
// Everything shown is built with createElement and textContent, never parsed as HTML: an account's callback URL,
// an SMS text or a journal body may hold markup, and must be shown as the characters they are.

const API = "/_mock";
// Once a second by default; `?poll=MS` (200 to 60000) for another pace.
const POLL_MS = Math.min(60000, Math.max(200, Number(new URLSearchParams(window.location.search).get("poll")) || 1000));

const $ = (selector) => document.querySelector(selector);

/** An element with text children (strings become text nodes) and safe attributes. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class ApiError extends Error {}

/** A control API call; its JSON answer (null for a 204). */
async function api(method, path, body) {
  const init = { method, credentials: "same-origin", cache: "no-store", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  if (response.status === 401) {
    // The session ended (expired, or signed out elsewhere): the page shows the sign-in form again.
    window.location.reload();
    throw new ApiError("signed out");
  }
  if (response.status === 204) return null;
  const document_ = await response.json();
  if (!response.ok) throw new ApiError(document_.detail || `${response.status}`);
  return document_;
}

// -- formatting ------------------------------------------------------------------------------------------------

function age(createdAt, now) {
  if (!now) return "";
  let seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(createdAt)) / 1000));
  if (Number.isNaN(seconds)) return "";
  const units = [["d", 86400], ["h", 3600], ["min", 60]];
  for (const [unit, size] of units) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit}`;
  }
  return `${seconds} s`;
}

function time(iso) {
  return iso ? iso.replace("T", " ").replace("Z", "") : "";
}

function json(value) {
  return value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
}

function definitions(object) {
  const list = el("dl");
  for (const [name, value] of Object.entries(object || {})) {
    if (value === null || value === undefined) continue;
    list.append(el("dt", {}, name), el("dd", {}, json(value)));
  }
  return list;
}

function replaceRows(table, rows, empty) {
  const body = table.querySelector("tbody");
  const columns = table.querySelectorAll("thead th").length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: columns, class: "empty" }, empty))]));
}

// -- the tables --------------------------------------------------------------------------------------------------

function accountRow(account, now) {
  const reload = account.auto_reload;
  const secrets = el(
    "ul",
    {},
    account.secrets.map((secret) =>
      el("li", {}, el("code", {}, secret.id), " ", el("span", { class: "age", title: secret.created_at }, age(secret.created_at, now))),
    ),
  );
  const reset = el("button", { type: "button", class: "reset-account", "data-account": account.api_key }, "Reset");
  reset.addEventListener("click", () => act(`Account ${account.api_key} reset`, () => api("DELETE", `/accounts/${encodeURIComponent(account.api_key)}`)));
  return el(
    "tr",
    { "data-account": account.api_key },
    el("td", {}, el("code", {}, account.api_key), account.primary ? el("div", { class: "note" }, `sub-account of ${account.primary}`) : null),
    el("td", { class: "balance" }, account.balance),
    el("td", {}, reload.enabled ? `on, ${reload.amount}` : "off", reload.trx ? el("div", { class: "note" }, "trx set") : null),
    el("td", {}, secrets),
    el("td", { class: "settings" }, definitions(account.settings), account.signature ? el("div", { class: "note" }, `signed: ${account.signature.method}`) : null),
    el("td", {}, account.subaccounts.join(", ")),
    el("td", {}, reset),
  );
}

function journalRow(entry) {
  return el(
    "tr",
    { class: entry.status >= 400 ? "failed" : "" },
    el("td", {}, entry.seq),
    el("td", {}, time(entry.at)),
    el("td", {}, entry.operation_id || ""),
    el("td", {}, `${entry.method} ${entry.path}`),
    el("td", { class: "status" }, entry.status),
    el("td", {}, entry.account || ""),
    el("td", {}, entry.auth_scheme || ""),
    el("td", {}, entry.duration_ms),
    el("td", { class: "failure" }, json(entry.failure)),
    el("td", {}, entry.fault || ""),
  );
}

function deliveryRow(delivery) {
  const attempts = el(
    "ol",
    {},
    delivery.attempts.map((attempt) =>
      el("li", {}, `${time(attempt.at)} → ${attempt.status ?? attempt.error ?? ""} (${attempt.duration_ms} ms)`),
    ),
  );
  const next = delivery.next_attempt_in_s === null ? null : el("div", { class: "note" }, `next in ${delivery.next_attempt_in_s} s`);
  return el(
    "tr",
    { "data-delivery": delivery.id },
    el("td", {}, delivery.id),
    el("td", {}, delivery.account),
    el("td", {}, delivery.kind),
    el("td", { class: `state ${delivery.state}` }, delivery.state),
    el("td", {}, `${delivery.request.method} `, el("code", {}, delivery.request.url)),
    el("td", { class: "fields" }, definitions(delivery.request.fields)),
    el("td", {}, attempts, `${delivery.attempts.length} of ${delivery.max_attempts}`, next),
  );
}

function faultRow(plan) {
  const remove = el("button", { type: "button" }, "Remove");
  remove.addEventListener("click", () => act(`Fault plan ${plan.id} removed`, () => api("DELETE", `/faults/${encodeURIComponent(plan.id)}`)));
  return el(
    "tr",
    {},
    el("td", {}, plan.id),
    el("td", {}, plan.operation_id),
    el("td", {}, plan.status ?? ""),
    el("td", {}, plan.delay_ms),
    el("td", {}, plan.drop ? "yes" : ""),
    el("td", {}, plan.account ?? "any"),
    el("td", {}, plan.times ?? "every call"),
    el("td", {}, plan.fired),
    el("td", {}, remove),
  );
}

// -- refreshing --------------------------------------------------------------------------------------------------

const shown = new Map(); // what each table last showed, as JSON: a table is rebuilt only when it changed

function changed(name, value) {
  const text = JSON.stringify(value);
  if (shown.get(name) === text) return false;
  shown.set(name, text);
  return true;
}

function journalQuery() {
  const form = new FormData($("#journal-filters"));
  const query = new URLSearchParams({ limit: "200" });
  for (const name of ["operation_id", "account", "status"]) {
    const value = String(form.get(name) || "").trim();
    if (value) query.set(name, value);
  }
  return query.toString();
}

async function refresh() {
  const [details, journal, deliveries, faults] = await Promise.all([
    api("GET", "/account-details?limit=500"),
    api("GET", `/journal?${journalQuery()}`),
    api("GET", "/deliveries"),
    api("GET", "/faults"),
  ]);
  if (changed("accounts", details)) {
    replaceRows($("#accounts table"), details.accounts.map((account) => accountRow(account, details.now)), "No accounts yet.");
    $("#accounts-count").textContent = details.total > details.accounts.length ? `(${details.accounts.length} of ${details.total})` : `(${details.total})`;
    $("#account-keys").replaceChildren(...details.accounts.map((account) => el("option", { value: account.api_key })));
  }
  if (changed("journal", journal)) {
    // Newest first: the live end of the table is its top.
    replaceRows($("#journal table"), journal.entries.slice().reverse().map(journalRow), "No requests match.");
    $("#journal-count").textContent = `(${journal.entries.length})`;
  }
  if (changed("deliveries", deliveries)) {
    replaceRows($("#deliveries table"), deliveries.deliveries.slice().reverse().map(deliveryRow), "No callbacks sent.");
    $("#deliveries-count").textContent = `(${deliveries.deliveries.length})`;
  }
  if (changed("faults", faults)) {
    replaceRows($("#faults table"), faults.plans.map(faultRow), "No fault plans.");
    $("#faults-count").textContent = `(${faults.plans.length})`;
  }
  $("#status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  showError("");
}

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

let timer = null;

async function poll() {
  clearTimeout(timer);
  try {
    await refresh();
  } catch (error) {
    if (!(error instanceof ApiError && error.message === "signed out")) showError(`Could not read the mock: ${error.message}`);
  }
  if ($("#live").checked) timer = setTimeout(poll, POLL_MS);
}

/** Run an action, say how it went, and show its effect at once. */
async function act(done, action) {
  const result = $("#action-result");
  try {
    const answer = await action();
    result.textContent = typeof done === "function" ? done(answer) : done;
    result.className = "ok";
  } catch (error) {
    result.textContent = error.message;
    result.className = "error";
  }
  await poll();
}

// -- the forms ---------------------------------------------------------------------------------------------------

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function onSubmit(selector, handler) {
  $(selector).addEventListener("submit", (event) => {
    event.preventDefault();
    handler(fields(event.target), event.target);
  });
}

function account(path, key) {
  return `/accounts/${encodeURIComponent(key.trim())}${path}`;
}

function callbackDone(answer) {
  const states = answer.deliveries.map((delivery) => `${delivery.id} ${delivery.state}`).join(", ");
  return `Sent: ${states}`;
}

function wireForms() {
  onSubmit("#set-balance", (form) =>
    act((answer) => `Balance of ${form.account} is ${answer.balance}`, () => api("PUT", account("/balance", form.account), { balance: form.balance.trim() })),
  );
  onSubmit("#plan-fault", (form, element) => {
    const plan = { operation_id: form.operation_id, delay_ms: Number(form.delay_ms || 0), drop: element.drop.checked };
    if (form.status) plan.status = Number(form.status);
    if (form.account.trim()) plan.account = form.account.trim();
    if (form.times) plan.times = Number(form.times);
    act((answer) => `Fault plan ${answer.id} planned`, () => api("POST", "/faults", plan));
  });
  onSubmit("#inbound-sms", (form) =>
    act(callbackDone, () => api("POST", account("/inbound-sms", form.account), { from: form.from, to: form.to, text: form.text })),
  );
  onSubmit("#delivery-receipt", (form) => {
    const receipt = { status: form.status };
    if (form.client_ref) receipt.client_ref = form.client_ref;
    act(callbackDone, () => api("POST", account("/delivery-receipts", form.account), receipt));
  });
  const resetMock = $("#reset-mock");
  let armed = null;
  resetMock.addEventListener("click", () => {
    // Two clicks, not a confirm() dialog: every account, the journal, the plans and the callbacks go.
    if (!armed) {
      resetMock.textContent = "Click again to reset everything";
      armed = setTimeout(() => {
        armed = null;
        resetMock.textContent = "Reset the mock";
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    resetMock.textContent = "Reset the mock";
    act("The mock was reset", () => api("POST", "/reset"));
  });
  $("#clear-journal").addEventListener("click", () => act("Journal cleared", () => api("DELETE", "/journal")));
  $("#journal-filters").addEventListener("change", () => poll());
  $("#journal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    poll();
  });
  $("#live").addEventListener("change", () => poll());
}

async function wireOperations() {
  const { operations } = await api("GET", "/operations");
  const statuses = [...new Set(operations.flatMap((operation) => operation.statuses))].sort((a, b) => a - b);
  const planOperation = $("#plan-fault select[name=operation_id]");
  const planStatus = $("#plan-fault select[name=status]");
  planOperation.replaceChildren(...operations.map((operation) => el("option", {}, operation.operation_id)));
  const offerStatuses = () => {
    const operation = operations.find((candidate) => candidate.operation_id === planOperation.value);
    planStatus.replaceChildren(el("option", { value: "" }, "none"), ...(operation ? operation.statuses : []).map((status) => el("option", {}, status)));
  };
  planOperation.addEventListener("change", offerStatuses);
  offerStatuses();
  $("#journal-filters select[name=operation_id]").append(...operations.map((operation) => el("option", {}, operation.operation_id)));
  $("#journal-filters select[name=status]").append(...statuses.map((status) => el("option", {}, status)));
}

async function start() {
  if (document.body.dataset.token === "set") $("#sign-out").hidden = false;
  wireForms();
  try {
    await wireOperations();
  } catch (error) {
    showError(`Could not read the operations: ${error.message}`);
  }
  await poll();
}

start();
