/* Adds a diagram (BPMN DI) to hand-written process files, so bpmn-js draws them as laid out
   here — lanes included — instead of laying them out in the browser each time.

     node gateway/web/layout_bpmn.mjs bpmn/*.bpmn            # files without a diagram
     node gateway/web/layout_bpmn.mjs --force bpmn/x.bpmn    # replace the diagram it has

   bpmn-auto-layout (pinned in package.json) places the flow: its columns give each element's
   x. It ignores lanes, so each element is then put in its lane's band (the rows the layout
   gave within that lane become the lane's rows), boundary events stay where the layout put
   them on their task, and the flows are routed again with right angles. Only the
   <bpmndi:BPMNDiagram> is added, at the end, with its own namespace declarations: the
   process, its comments and the rencai:* settings stay byte for byte as written. */
import { readFileSync, writeFileSync } from "node:fs";
import { layoutProcess } from "bpmn-auto-layout";
import { BpmnModdle } from "bpmn-moddle";

const NS = 'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
  'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"';
const POOL_X = 100, POOL_Y = 60, POOL_HEADER = 30, LANE_HEADER = 30, LEFT_GAP = 50;
const ROW = 120;      // one row of a lane: a task (80) with room for boundary events and labels
const GAP = 28;       // how far a flow running backwards passes above or below its tasks

const DIAGRAM = /<(\w+:)?BPMNDiagram\b[\s\S]*<\/(\w+:)?BPMNDiagram>\s*/;

/* bpmn-auto-layout follows each node's incoming/outgoing, which hand-written BPMN leaves out
   (the sequence flows alone say it): the copy it lays out has them filled in. `attempt` > 0
   takes the flows in another order: bpmn-auto-layout 1.3 fails on some graphs with several
   returns into one task (title_evaluation) in one order and not in another. */
async function withFlowRefs(xml, attempt = 0) {
  const moddle = new BpmnModdle();
  const { rootElement } = await moddle.fromXML(xml);
  const visit = (container) => {
    const flows = (container.flowElements || []).filter((e) => e.$instanceOf("bpmn:SequenceFlow"));
    let seed = attempt;  // a fixed shuffle per attempt: the same file gives the same diagram
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let i = flows.length - 1; attempt && i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [flows[i], flows[j]] = [flows[j], flows[i]];
    }
    flows.forEach((element) => {
      if (!element.sourceRef || !element.targetRef) return;
      const out = element.sourceRef.get("outgoing");
      const into = element.targetRef.get("incoming");
      if (!out.includes(element)) out.push(element);
      if (!into.includes(element)) into.push(element);
    });
  };
  rootElement.rootElements.filter((e) => e.$instanceOf("bpmn:Process")).forEach(visit);
  return (await moddle.toXML(rootElement)).xml;
}

async function laidOutCopy(xml) {
  let failure;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      const laid = await layoutProcess(await withFlowRefs(xml, attempt));
      if (attempt) console.log(`  laid out with the flows in order #${attempt}`);
      return laid;
    } catch (error) { failure = error; }
  }
  throw failure;
}

const n = (value) => Math.round(value);
const bounds = (b) => `<dc:Bounds x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" />`;
const mid = (b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

function route(source, target, fromBoundary) {
  const s = mid(source), t = mid(target);
  const sRight = source.x + source.width, tLeft = target.x;
  if (fromBoundary && t.y > source.y + source.height) {  // down from the event, then across
    return t.x >= source.x && t.x <= sRight
      ? [{ x: s.x, y: source.y + source.height }, { x: s.x, y: target.y }]
      : [{ x: s.x, y: source.y + source.height }, { x: s.x, y: t.y },
        { x: t.x < s.x ? target.x + target.width : tLeft, y: t.y }];
  }
  if (tLeft >= sRight) {  // forwards: out on the right, in on the left
    if (Math.abs(s.y - t.y) < 1) return [{ x: sRight, y: s.y }, { x: tLeft, y: t.y }];
    const x = sRight + (tLeft - sRight) / 2;
    return [{ x: sRight, y: s.y }, { x, y: s.y }, { x, y: t.y }, { x: tLeft, y: t.y }];
  }
  // backwards (a return to an earlier task): over the top of both, or under when the target
  // lies below
  if (t.y > s.y + 1) {
    const y = Math.max(source.y + source.height, target.y + target.height) + GAP;
    return [{ x: s.x, y: source.y + source.height }, { x: s.x, y }, { x: t.x, y },
      { x: t.x, y: target.y + target.height }];
  }
  const y = Math.max(Math.min(source.y, target.y) - GAP, POOL_Y + 6);  // inside the pool
  return [{ x: s.x, y: source.y }, { x: s.x, y }, { x: t.x, y }, { x: t.x, y: target.y }];
}

async function diagramFor(xml) {
  const laid = await laidOutCopy(xml);
  const moddle = new BpmnModdle();
  const { rootElement: definitions } = await moddle.fromXML(laid);
  const collaboration = definitions.rootElements.find((e) => e.$instanceOf("bpmn:Collaboration"));
  const participant = collaboration && collaboration.participants[0];
  const process = participant ? participant.processRef
    : definitions.rootElements.find((e) => e.$instanceOf("bpmn:Process"));
  const laidOut = new Map();  // element id -> its bounds as bpmn-auto-layout placed it
  for (const di of definitions.diagrams[0].plane.planeElement) {
    if (di.$instanceOf("bpmndi:BPMNShape")) laidOut.set(di.bpmnElement.id, { ...di.bounds });
  }
  const lanes = (process.laneSets || []).flatMap((set) => set.lanes || []);
  const laneOf = new Map();
  lanes.forEach((lane, i) => (lane.flowNodeRef || []).forEach((node) => laneOf.set(node.id, i)));
  const nodes = process.flowElements.filter((e) => !e.$instanceOf("bpmn:SequenceFlow")
    && !e.$instanceOf("bpmn:BoundaryEvent") && laidOut.has(e.id));
  const boundaries = process.flowElements.filter((e) => e.$instanceOf("bpmn:BoundaryEvent"));

  // Each lane's rows: the distinct rows (centre y) the layout gave its elements, in order.
  const rowsOf = lanes.map(() => []);
  const rowKey = (b) => n(b.y + b.height / 2);
  for (const node of nodes) {
    const rows = rowsOf[laneOf.get(node.id) ?? 0] || rowsOf[0];
    if (!rows.includes(rowKey(laidOut.get(node.id)))) rows.push(rowKey(laidOut.get(node.id)));
  }
  rowsOf.forEach((rows) => rows.sort((a, b) => a - b));
  const laneTop = [];
  let y = POOL_Y;
  rowsOf.forEach((rows, i) => { laneTop[i] = y; y += Math.max(rows.length, 1) * ROW; });
  const poolHeight = Math.max(y - POOL_Y, ROW);
  const minX = Math.min(...nodes.map((e) => laidOut.get(e.id).x));
  const shift = POOL_X + POOL_HEADER + LANE_HEADER + LEFT_GAP - minX;

  const placed = new Map();
  for (const node of nodes) {
    const b = laidOut.get(node.id);
    const lane = laneOf.get(node.id) ?? 0;
    const centre = (laneTop[lane] ?? POOL_Y) + rowsOf[lane].indexOf(rowKey(b)) * ROW + ROW / 2;
    placed.set(node.id, { x: b.x + shift, y: centre - b.height / 2, width: b.width, height: b.height });
  }
  for (const event of boundaries) {  // where the layout put it on its task, the task moved
    const host = event.attachedToRef, b = laidOut.get(event.id), hostBefore = laidOut.get(host.id);
    const hostNow = placed.get(host.id);
    const at = b && hostBefore
      ? { x: hostNow.x + (b.x - hostBefore.x), y: hostNow.y + (b.y - hostBefore.y) }
      : { x: hostNow.x + hostNow.width - 36, y: hostNow.y + hostNow.height - 18 };
    placed.set(event.id, { ...at, width: 36, height: 36 });
  }
  const right = Math.max(...[...placed.values()].map((b) => b.x + b.width)) + LEFT_GAP;
  const poolWidth = right - POOL_X;

  const id = process.id;
  const out = [`<bpmndi:BPMNDiagram id="${id}_diagram" ${NS}>`,
    `  <bpmndi:BPMNPlane id="${id}_plane" bpmnElement="${(collaboration || process).id}">`];
  if (participant) {
    out.push(`    <bpmndi:BPMNShape id="${participant.id}_di" bpmnElement="${participant.id}" isHorizontal="true">` +
      bounds({ x: POOL_X, y: POOL_Y, width: poolWidth, height: poolHeight }) + "</bpmndi:BPMNShape>");
    lanes.forEach((lane, i) => {
      const height = Math.max(rowsOf[i].length, 1) * ROW;
      out.push(`    <bpmndi:BPMNShape id="${lane.id}_di" bpmnElement="${lane.id}" isHorizontal="true">` +
        bounds({ x: POOL_X + POOL_HEADER, y: laneTop[i], width: poolWidth - POOL_HEADER, height }) +
        "</bpmndi:BPMNShape>");
    });
  }
  for (const [elementId, b] of placed) {
    const element = process.flowElements.find((e) => e.id === elementId);
    const marker = element.$instanceOf("bpmn:ExclusiveGateway") ? ' isMarkerVisible="true"' : "";
    out.push(`    <bpmndi:BPMNShape id="${elementId}_di" bpmnElement="${elementId}"${marker}>${bounds(b)}</bpmndi:BPMNShape>`);
  }
  for (const flow of process.flowElements.filter((e) => e.$instanceOf("bpmn:SequenceFlow"))) {
    const source = placed.get(flow.sourceRef.id), target = placed.get(flow.targetRef.id);
    if (!source || !target) continue;
    const points = route(source, target, flow.sourceRef.$instanceOf("bpmn:BoundaryEvent"))
      .map((p) => `<di:waypoint x="${n(p.x)}" y="${n(p.y)}" />`).join("");
    out.push(`    <bpmndi:BPMNEdge id="${flow.id}_di" bpmnElement="${flow.id}">${points}</bpmndi:BPMNEdge>`);
  }
  out.push("  </bpmndi:BPMNPlane>", "</bpmndi:BPMNDiagram>");
  return out.join("\n");
}

const args = process.argv.slice(2);
const force = args.includes("--force");
for (const file of args.filter((a) => a !== "--force")) {
  let xml = readFileSync(file, "utf8");
  if (DIAGRAM.test(xml)) {
    if (!force) { console.log(`${file}: has a diagram (--force to lay it out again)`); continue; }
    xml = xml.replace(DIAGRAM, "");
  }
  const diagram = await diagramFor(xml);
  const end = xml.match(/<\/(\w+:)?definitions>\s*$/);
  if (!end) throw new Error(`${file}: no closing definitions tag`);
  writeFileSync(file, xml.slice(0, end.index) + diagram + "\n" + xml.slice(end.index));
  console.log(`${file}: diagram added`);
}
