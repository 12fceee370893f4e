// The chat page: POST /v1/ask with "stream": true and read the server-sent events as they arrive.
// Plain JS, no build step. Text from the server is always set with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "ragfirst-api-key";

function show(id, visible) { $(id).hidden = !visible; }

function setError(message) {
  $("error").textContent = message;
  show("error", Boolean(message));
}

function formatCost(body) {
  if (body.cost_usd === null || body.cost_usd === undefined) return "비용 알 수 없음";
  const krw = body.cost_krw === null ? "" : ` (약 ${body.cost_krw.toLocaleString("ko-KR", { maximumFractionDigits: 4 })}원)`;
  return `$${body.cost_usd.toFixed(6)}${krw}`;
}

function renderDone(body) {
  $("answer").textContent = body.declined ? "" : body.text;
  show("declined", body.declined);
  if (body.declined) {
    $("declined").textContent = body.declined_by === "model"
      ? "모델이 문서에서 답을 찾지 못했다고 답했습니다. 담당자에게 직접 문의해 주세요."
      : "문서에서 이 질문의 답을 찾을 수 없어 답하지 않았습니다. 담당자에게 직접 문의해 주세요.";
  }
  const list = $("sources");
  list.replaceChildren();
  for (const source of body.sources) {
    const item = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = `[${source.id}] ${source.title}`;
    item.append(title);
    if (source.quote) {
      const quote = document.createElement("blockquote");
      quote.textContent = source.quote;
      item.append(quote);
    }
    list.append(item);
  }
  show("sources-box", body.sources.length > 0);
  const seconds = (body.latency_ms / 1000).toFixed(2);
  const first = body.ttft_ms === null ? "" : `, 첫 글자 ${(body.ttft_ms / 1000).toFixed(2)}초`;
  $("meta").textContent = `응답 시간 ${seconds}초${first} · 비용 ${formatCost(body)} · 토큰 ${body.tokens.prompt}+${body.tokens.completion} · ${body.backend}${body.model ? " / " + body.model : ""}`;
  $("status").textContent = "완료";
}

// Split an SSE byte stream into {event, data} records (blank line between records).
function* parseEvents(buffer) {
  for (const block of buffer) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length) yield { event, data: data.join("\n") };
  }
}

async function ask(question, key) {
  const response = await fetch("/v1/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Authorization": `Bearer ${key}` },
    body: JSON.stringify({ question, stream: true }),
  });
  if (!response.ok) {
    let message = `요청이 실패했습니다 (HTTP ${response.status}).`;
    try { message = (await response.json()).message || message; } catch (_) { /* not JSON */ }
    const retry = response.headers.get("Retry-After");
    throw new Error(retry ? `${message} (${retry}초 뒤 다시 시도)` : message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value.replace(/\r\n/g, "\n");
    const blocks = pending.split("\n\n");
    pending = blocks.pop();
    for (const { event, data } of parseEvents(blocks)) {
      const body = JSON.parse(data);
      if (event === "token") {
        $("answer").textContent += body.text;
        $("answer").dataset.pieces = String(Number($("answer").dataset.pieces || 0) + 1);
        $("status").textContent = "답변을 쓰는 중…";
      } else if (event === "done") {
        renderDone(body);
      } else if (event === "error") {
        throw new Error(body.message);
      }
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = sessionStorage.getItem(KEY_STORE) || "";
  $("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    const question = $("question").value.trim();
    setError("");
    if (!key) { setError("API 키를 먼저 입력해 주세요."); return; }
    if (!question) { setError("질문을 입력해 주세요."); return; }
    sessionStorage.setItem(KEY_STORE, key);
    $("ask-button").disabled = true;
    show("result", true);
    $("answer").textContent = "";
    $("answer").dataset.pieces = "0";
    show("declined", false);
    show("sources-box", false);
    $("meta").textContent = "";
    $("status").textContent = "문서를 찾는 중…";
    try {
      await ask(question, key);
    } catch (error) {
      $("status").textContent = "";
      setError(error.message);
    } finally {
      $("ask-button").disabled = false;
    }
  });
});
