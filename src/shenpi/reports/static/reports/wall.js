/* The hall's wall screen: polls the figures (JSON) every data-refresh seconds and fills the page and
   its two ECharts charts, never reloading. Built with textContent only (names never become markup);
   the Content-Security-Policy forbids inline scripts and styles, so the figures come by fetch and the
   bars' widths are set through the style object. A refused poll (403: the login ended, or the
   display's address is no longer listed) reloads the page, which then asks for a login. */
(function () {
  "use strict";

  var root = document.getElementById("wall");
  if (!root) { return; }
  var source = root.getAttribute("data-source");
  var refresh = Math.max(1, parseInt(root.getAttribute("data-refresh"), 10) || 30) * 1000;
  var charts = {};
  var last = null;

  function rem() {
    return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  }

  function text(id, value) {
    var element = document.getElementById(id);
    if (element) { element.textContent = value === null || value === undefined ? "—" : String(value); }
  }

  function chart(id) {
    if (typeof echarts === "undefined") { return null; }
    if (!charts[id]) {
      var element = document.getElementById(id);
      if (!element) { return null; }
      charts[id] = echarts.init(element, null, { renderer: "canvas" });
    }
    return charts[id];
  }

  function axisStyle(size) {
    return { color: "#8fb0e0", fontSize: size };
  }

  function drawHourly(hourly) {
    var c = chart("chart-hourly");
    if (!c) { return; }
    var size = rem();
    var hours = hourly.map(function (_, h) { return h + "时"; });
    c.setOption({
      animation: false,
      grid: { left: size, right: size, top: size * 2, bottom: size * 0.5, containLabel: true },
      xAxis: { type: "category", data: hours, axisLabel: axisStyle(size * 1.05),
               axisLine: { lineStyle: { color: "#1f4f99" } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisStyle(size * 1.05),
               splitLine: { lineStyle: { color: "rgba(31, 79, 153, 0.5)" } } },
      series: [{ name: "收件", type: "bar", data: hourly, barMaxWidth: size * 1.6,
                 itemStyle: { color: "#37d2ff" },
                 label: { show: true, position: "top", color: "#e6f0ff", fontSize: size * 1.0,
                          formatter: function (p) { return p.value ? p.value : ""; } } }]
    });
  }

  function drawRanking(ranking) {
    var c = chart("chart-ranking");
    if (!c) { return; }
    var size = rem();
    var rows = ranking.rows.slice().reverse();  // the first place at the top
    c.setOption({
      animation: false,
      grid: { left: size * 0.5, right: size * 4.5, top: size * 0.5, bottom: size * 0.5, containLabel: true },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: rows.map(function (r) { return r.rank + ". " + r.name; }),
               axisLabel: { color: "#e6f0ff", fontSize: size * 1.2, width: size * 13, overflow: "truncate" },
               axisLine: { lineStyle: { color: "#1f4f99" } }, axisTick: { show: false } },
      series: [{ name: "得分", type: "bar", data: rows.map(function (r) { return r.score; }),
                 barMaxWidth: size * 1.4, itemStyle: { color: "#3ee08f" },
                 label: { show: true, position: "right", color: "#e6f0ff", fontSize: size * 1.2,
                          formatter: function (p) { return p.value.toFixed(2); } } }]
    }, true);
  }

  function cell(row, value, className) {
    var td = document.createElement("td");
    td.textContent = value;
    if (className) { td.className = className; }
    row.appendChild(td);
  }

  function fillQueues(queues) {
    var body = document.getElementById("queue-rows");
    var rows = [];
    queues.rows.forEach(function (q) {
      var tr = document.createElement("tr");
      cell(tr, q.window + " " + q.name);
      cell(tr, q.department);
      cell(tr, q.waiting, "num" + (q.waiting >= 5 ? " busy" : ""));
      cell(tr, q.booked, "num");
      rows.push(tr);
    });
    if (!rows.length) {
      var tr = document.createElement("tr");
      cell(tr, "各窗口暂无排队", "empty");
      tr.firstChild.colSpan = 4;
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function span(className, value) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = value;
    return element;
  }

  function fillProjects(projects) {
    var list = document.getElementById("project-rows");
    var items = projects.map(function (p) {
      var li = document.createElement("li");
      li.className = "project";
      li.appendChild(span("project-name", p.name));
      li.appendChild(span("project-trend " + p.trend, p.trend_label));
      var stage = p.stage + (p.stage_state ? "（" + p.stage_state + "）" : "") + " · 牵头：" + p.lead;
      if (p.used !== null) { stage += " · 用时 " + p.used + "/" + p.allotment + " 个工作日"; }
      li.appendChild(span("project-stage", stage));
      li.appendChild(span("project-count", "已完成 " + p.done + "/" + p.total + " 阶段"));
      var bar = span("project-bar", "");
      var fill = document.createElement("span");
      fill.style.width = Math.min(100, p.progress) + "%";
      bar.appendChild(fill);
      li.appendChild(bar);
      return li;
    });
    if (!items.length) {
      var li = document.createElement("li");
      li.className = "empty";
      li.textContent = "暂无重点项目";
      items.push(li);
    }
    list.replaceChildren.apply(list, items);
  }

  function fill(data) {
    last = data;
    text("wall-date", data.date);
    text("wall-as-of", data.as_of);
    text("kpi-received", data.today.received);
    text("kpi-completed", data.today.completed);
    text("kpi-on-time", data.today.on_time_rate);
    text("kpi-windows", data.windows.open_today);
    text("kpi-windows-total", "/ " + data.windows.total + " 个");
    text("kpi-serving", data.windows.serving);
    text("kpi-staffed", data.windows.staffed);
    text("kpi-waiting", data.queues.waiting);
    text("kpi-booked", data.queues.booked);
    text("kpi-satisfaction", data.satisfaction.rate);
    text("kpi-ratings", data.satisfaction.ratings);
    text("kpi-satisfaction-label", data.satisfaction.month + "满意率");
    ["warning", "yellow", "red"].forEach(function (code) { text("alert-" + code, data.alerts[code]); });
    text("ranking-month", data.ranking.month);
    fillQueues(data.queues);
    fillProjects(data.projects);
    drawHourly(data.today.hourly);
    drawRanking(data.ranking);
    document.getElementById("wall-status").hidden = true;
    root.setAttribute("data-as-of", data.as_of);
  }

  function poll() {
    fetch(source, { credentials: "same-origin", cache: "no-store",
                    headers: { Accept: "application/json", "X-Shenpi-Poll": "1" } })
      .then(function (response) {
        if (response.status === 403) { window.location.reload(); throw new Error("refused"); }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(fill)
      .catch(function () { document.getElementById("wall-status").hidden = false; })
      .then(function () { window.setTimeout(poll, refresh); });
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    if (last) { drawHourly(last.today.hourly); drawRanking(last.ranking); }
  });

  poll();
}());
