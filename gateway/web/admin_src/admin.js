/* The admin console's bpmn-js island (bundled by esbuild, see gateway/web/assets.py).
   Three uses, chosen by the page: [data-bpmn=modeler] edits a process (properties panel for
   what Rencai reads, forms beside a live preview, validation errors on their elements);
   [data-bpmn=diff] draws two versions with what changed coloured; [data-bpmn=instance] draws an
   instance's version with the path taken and the current task. The pages work without it only
   for reading: the diagram needs JavaScript. No inline script, no eval. */
import Modeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { diff } from "bpmn-js-differ";
import { BpmnModdle } from "bpmn-moddle";
import { layoutProcess } from "bpmn-auto-layout";
import rencai from "./rencai-moddle.json";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "./admin.css";

const EXTENSIONS = { rencai };

function $(selector, root) { return (root || document).querySelector(selector); }
function $all(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

function show(el, visible) { if (el) el.hidden = !visible; }

function escapeText(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

/* The processes shipped in bpmn/ carry no diagram (DI): one is laid out for them, and kept
   with the next version saved from the modeler. */
async function withDiagram(xml) {
  if (/<(\w+:)?BPMNDiagram\b/.test(xml)) return { xml, laidOut: false };
  // Only the laid-out diagram is taken: the process itself stays as written (a re-serialised
  // copy would lose references bpmn-moddle cannot resolve, e.g. loopDataInputRef by name).
  const laidOut = await layoutProcess(await withFlowRefs(xml));
  const match = laidOut.match(/<(\w+):BPMNDiagram\b[\s\S]*<\/\1:BPMNDiagram>/);
  if (!match) return { xml: laidOut, laidOut: true };
  const namespaces = Array.from(laidOut.matchAll(/xmlns:(bpmndi|dc|di)="[^"]+"/g)).map((m) => m[0]);
  const diagram = match[0].replace(/^<(\w+):BPMNDiagram\b/, (tag) => tag + " " + namespaces.join(" "));
  return { xml: xml.replace(/<\/(\w+:)?definitions>\s*$/, (end) => diagram + "\n" + end), laidOut: true };
}

/* bpmn-auto-layout follows each node's incoming/outgoing, which hand-written BPMN leaves out
   (the sequence flows alone say it): a copy with them filled in is laid out. */
async function withFlowRefs(xml) {
  const moddle = new BpmnModdle(EXTENSIONS);
  const { rootElement } = await moddle.fromXML(xml);
  const visit = (container) => (container.flowElements || []).forEach((element) => {
    if (element.$instanceOf("bpmn:SequenceFlow") && element.sourceRef && element.targetRef) {
      const out = element.sourceRef.get("outgoing");
      const into = element.targetRef.get("incoming");
      if (!out.includes(element)) out.push(element);
      if (!into.includes(element)) into.push(element);
    }
    if (element.flowElements) visit(element);
  });
  rootElement.rootElements.filter((e) => e.$instanceOf("bpmn:Process")).forEach(visit);
  return (await moddle.toXML(rootElement)).xml;
}

/* References bpmn-moddle cannot resolve (SpiffWorkflow names a multi-instance task's
   collection by variable name: loopDataInputRef "experts") are put back as they were, or
   saving would drop them. */
function keepUnresolved(moddle, warnings) {
  (warnings || []).forEach((warning) => {
    if (warning.element && warning.property && warning.value &&
        /unresolved reference/.test(warning.message || "")) {
      warning.element.set(warning.property, moddle.create("bpmn:DataInput", { id: warning.value }));
    }
  });
}

/* ---- the modeler ---------------------------------------------------------------------- */

function setupModeler(root) {
  const form = $("#modeler-form");
  const xmlField = $("#bpmn-xml", form);
  const formsField = $("#forms-json", form);
  const modeler = new Modeler({ container: $("#canvas", root), moddleExtensions: EXTENSIONS });
  const modeling = modeler.get("modeling");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  const bpmnFactory = modeler.get("bpmnFactory");
  let forms = {};
  try { forms = JSON.parse(formsField.value || "{}"); } catch (e) { forms = {}; }
  let current = null;

  const panel = $("#properties");
  const sections = {
    process: $("#props-process", panel), element: $("#props-element", panel),
    lane: $("#props-lane", panel), form: $("#props-form", panel), flow: $("#props-flow", panel),
    timer: $("#props-timer", panel),
  };

  function processOf() {
    const rootElement = canvas.getRootElement();
    const bo = rootElement.businessObject;
    if (bo.$instanceOf("bpmn:Collaboration")) {
      const participant = (bo.participants || [])[0];
      return { element: registry.get(participant.id), bo: participant.processRef };
    }
    return { element: rootElement, bo };
  }

  function formKey(element) {
    if (!element) return null;
    const bo = element.businessObject;
    if (bo.$instanceOf("bpmn:StartEvent") && !bo.eventDefinitions) return "start";
    if (bo.$instanceOf("bpmn:UserTask")) return bo.id;
    return null;
  }

  function timerDefinition(element) {
    const defs = element && element.businessObject.eventDefinitions;
    return defs && defs.find((d) => d.$instanceOf("bpmn:TimerEventDefinition"));
  }

  function fillProcess() {
    const { bo } = processOf();
    $all("[data-rencai]", sections.process).forEach((input) => {
      const value = bo.get("rencai:" + input.dataset.rencai);
      if (input.type === "checkbox") {
        const fallback = input.dataset.default === "true";
        input.checked = value == null ? fallback : value === "true";
      } else {
        input.value = value == null ? "" : value;
      }
    });
    $("#prop-process-name").value = bo.name || "";
  }

  function select(element) {
    current = element;
    const bo = element ? element.businessObject : null;
    const isProcess = !element || element === canvas.getRootElement() ||
      (bo && bo.$instanceOf("bpmn:Participant"));
    show(sections.process, isProcess);
    if (isProcess) fillProcess();
    show(sections.element, !isProcess);
    if (!isProcess) {
      $("#prop-id").value = bo.id;
      $("#prop-name").value = bo.name || "";
      $("#prop-stage").value = bo.get("rencai:stage") || "";
      $("#prop-type").textContent = $("#type-names").dataset[bo.$type.replace("bpmn:", "").toLowerCase()] || bo.$type;
    }
    const isLane = bo && bo.$instanceOf("bpmn:Lane");
    show(sections.lane, isLane);
    if (isLane) $("#prop-lane-role").value = bo.name || "";
    const key = formKey(element);
    show(sections.form, !!key);
    if (key) {
      $("#prop-form-key").textContent = key;
      const schema = $("#prop-form-schema");
      schema.value = forms[key] ? JSON.stringify(forms[key], null, 2) : "";
      schema.dispatchEvent(new Event("refresh"));  // htmx: preview this form
    }
    const isFlow = bo && bo.$instanceOf("bpmn:SequenceFlow");
    const fromGateway = isFlow && bo.sourceRef && bo.sourceRef.$instanceOf("bpmn:Gateway");
    show(sections.flow, !!fromGateway);
    if (fromGateway) {
      $("#prop-condition").value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      $("#prop-default").checked = bo.sourceRef.default === bo;
    }
    const timer = timerDefinition(element);
    show(sections.timer, !!timer);
    if (timer) {
      const duration = timer.timeDuration;
      $("#prop-duration").value = duration ? (duration.body || "").replace(/^"|"$/g, "") : "";
    }
  }

  // Process settings: rencai:* attributes of <bpmn:process>.
  $all("[data-rencai]", sections.process).forEach((input) => {
    input.addEventListener("change", () => {
      const { element, bo } = processOf();
      let value = input.type === "checkbox" ? String(input.checked) : input.value.trim();
      if (value === "" || (input.type === "checkbox" && value === input.dataset.default)) value = undefined;
      modeling.updateModdleProperties(element, bo, { ["rencai:" + input.dataset.rencai]: value });
    });
  });
  $("#prop-process-name").addEventListener("change", (event) => {
    const { element, bo } = processOf();
    modeling.updateModdleProperties(element, bo, { name: event.target.value });
  });
  $("#prop-name").addEventListener("change", (event) => {
    if (current) modeling.updateLabel(current, event.target.value);
  });
  $("#prop-stage").addEventListener("change", (event) => {
    if (current) modeling.updateProperties(current, { "rencai:stage": event.target.value.trim() || undefined });
  });
  $("#prop-lane-role").addEventListener("change", (event) => {
    if (current) modeling.updateLabel(current, event.target.value);
  });
  $("#prop-condition").addEventListener("change", (event) => {
    if (!current) return;
    const body = event.target.value.trim();
    const expression = body ? bpmnFactory.create("bpmn:FormalExpression", { body }) : undefined;
    modeling.updateProperties(current, { conditionExpression: expression });
  });
  $("#prop-default").addEventListener("change", (event) => {
    if (!current) return;
    const gateway = registry.get(current.businessObject.sourceRef.id);
    const isDefault = gateway.businessObject.default === current.businessObject;
    if (event.target.checked) modeling.updateProperties(gateway, { default: current.businessObject });
    else if (isDefault) modeling.updateProperties(gateway, { default: undefined });
  });
  $("#prop-duration").addEventListener("change", (event) => {
    const timer = timerDefinition(current);
    if (!timer) return;
    const value = event.target.value.trim();
    const body = bpmnFactory.create("bpmn:FormalExpression", { body: JSON.stringify(value) });
    modeling.updateModdleProperties(current, timer, { timeDuration: value ? body : undefined });
  });
  const schemaField = $("#prop-form-schema");
  const schemaError = $("#prop-form-error");
  schemaField.addEventListener("input", () => {
    const key = formKey(current);
    if (!key) return;
    const text = schemaField.value.trim();
    if (!text) { delete forms[key]; show(schemaError, false); return; }
    try {
      forms[key] = JSON.parse(text);
      show(schemaError, false);
    } catch (e) {
      schemaError.textContent = "JSON 格式错误：" + e.message;
      show(schemaError, true);
    }
  });
  $all("[data-form-template]").forEach((button) => {
    button.addEventListener("click", () => {
      schemaField.value = JSON.stringify(JSON.parse($("#" + button.dataset.formTemplate).value), null, 2);
      schemaField.dispatchEvent(new Event("input", { bubbles: true }));
      schemaField.dispatchEvent(new Event("refresh"));
    });
  });

  let imported = false;  // selection events fire while the diagram is still being imported
  modeler.on("selection.changed", (event) => { if (imported) select(event.newSelection[0] || null); });
  modeler.on("element.changed", (event) => {
    if (imported && current && event.element === current) select(current);
  });
  // A user task renamed by id keeps its form.
  modeler.on("commandStack.element.updateProperties.postExecuted", (event) => {
    const { oldProperties, properties } = event.context;
    if (oldProperties && properties && properties.id && oldProperties.id in forms) {
      forms[properties.id] = forms[oldProperties.id];
      delete forms[oldProperties.id];
    }
  });

  form.addEventListener("submit", async (event) => {
    if (form.dataset.saved === "1") return;
    event.preventDefault();
    const { xml } = await modeler.saveXML({ format: true });
    xmlField.value = xml;
    formsField.value = JSON.stringify(forms);
    form.dataset.saved = "1";
    const button = event.submitter;
    if (button && button.name) {  // keep which button was pressed
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = button.name; hidden.value = button.value;
      form.appendChild(hidden);
    }
    form.submit();
  });

  function markErrors() {
    let errors = {};
    try { errors = JSON.parse(root.dataset.errors || "{}"); } catch (e) { errors = {}; }
    Object.entries(errors).forEach(([field, message]) => {
      const [kind, ident] = field.split(".");
      let id = ident;
      if (kind === "forms" && ident === "start") {
        const start = registry.filter((e) => e.type === "bpmn:StartEvent")[0];
        id = start && start.id;
      }
      const element = id && registry.get(id);
      if (!element || element.type === "label") return;
      canvas.addMarker(element, "has-error");
      overlays.add(element, "validation", {
        position: { bottom: -4, left: 0 },
        html: '<div class="bpmn-error" role="note">' + escapeText(message) + "</div>",
      });
    });
  }

  $all("[data-select-element]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const element = registry.get(link.dataset.selectElement);
      if (!element) return;
      event.preventDefault();
      modeler.get("selection").select(element);
      canvas.scrollToElement(element);
    });
  });

  withDiagram(xmlField.value).then(({ xml, laidOut }) => {
    show($("#auto-layout-note"), laidOut);
    return modeler.importXML(xml);
  }).then((result) => {
    keepUnresolved(modeler.get("moddle"), result.warnings);
    canvas.zoom("fit-viewport", "auto");
    imported = true;
    markErrors();
    select(null);
    root.dataset.ready = "1";
  }).catch((error) => {
    $("#canvas-error").textContent = "无法显示流程图：" + error.message;
    show($("#canvas-error"), true);
  });
}

/* ---- read-only diagrams: a diff, an instance ------------------------------------------- */

async function viewer(container, xml) {
  const view = new NavigatedViewer({ container, moddleExtensions: EXTENSIONS });
  await view.importXML((await withDiagram(xml)).xml);
  view.get("canvas").zoom("fit-viewport", "auto");
  return view;
}

async function setupDiff(root) {
  const oldXml = $("#old-xml").value;
  const newXml = $("#new-xml").value;
  const moddle = new BpmnModdle(EXTENSIONS);
  const [{ rootElement: a }, { rootElement: b }] = await Promise.all(
    [moddle.fromXML(oldXml), moddle.fromXML(newXml)]);
  const changes = diff(a, b);
  const [before, after] = await Promise.all(
    [viewer($("#canvas-old", root), oldXml), viewer($("#canvas-new", root), newXml)]);
  const list = $("#diff-list");
  const rows = [];
  function mark(view, id, css) {
    const element = view.get("elementRegistry").get(id);
    if (element) view.get("canvas").addMarker(element, css);
  }
  const kinds = [["_removed", "diff-removed", "删除", before], ["_added", "diff-added", "新增", after],
    ["_changed", "diff-changed", "修改", after], ["_layoutChanged", "diff-layout", "位置调整", after]];
  kinds.forEach(([key, css, label, view]) => {
    Object.entries(changes[key] || {}).forEach(([id, entry]) => {
      mark(view, id, css);
      const element = entry.model || entry;
      const attrs = entry.attrs ? Object.keys(entry.attrs).join("、") : "";
      rows.push("<tr><td><span class=\"badge " + css + "\">" + label + "</span></td><td>" +
        escapeText(id) + "</td><td>" + escapeText((element && element.name) || "") + "</td><td>" +
        escapeText(attrs) + "</td></tr>");
    });
  });
  // Tall diagrams fit as specks: show the first change at full size (zoom and pan to move).
  const first = Object.keys(changes._changed || {}).concat(Object.keys(changes._added || {}))
    .map((id) => after.get("elementRegistry").get(id)).find(Boolean);
  if (first) {
    [before, after].forEach((view) => {
      const element = view.get("elementRegistry").get(first.id);
      if (!element) return;
      view.get("canvas").zoom(1, { x: element.x + element.width / 2, y: element.y + element.height / 2 });
      view.get("canvas").scrollToElement(element);
    });
  }
  list.innerHTML = rows.length ? rows.join("") : "<tr><td colspan=\"4\">流程图没有差异</td></tr>";
  root.dataset.ready = String(rows.length);
}

async function setupInstance(root) {
  const view = await viewer($("#canvas-instance", root), $("#instance-xml").value);
  const registry = view.get("elementRegistry");
  const canvas = view.get("canvas");
  JSON.parse(root.dataset.done || "[]").forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, "path-taken");
  });
  JSON.parse(root.dataset.current || "[]").forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, "current-task");
  });
  // A phone turned, a window narrowed: the whole diagram stays in view.
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => { canvas.resized(); canvas.zoom("fit-viewport", "auto"); }, 100);
  });
  root.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-bpmn]");
  if (!root) return;
  const use = { modeler: setupModeler, diff: setupDiff, instance: setupInstance }[root.dataset.bpmn];
  Promise.resolve(use && use(root)).catch((error) => {
    const box = $("#canvas-error");
    if (box) { box.textContent = "无法显示流程图：" + error.message; box.hidden = false; }
  });
});
