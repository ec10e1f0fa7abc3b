/**
 * The layout of the paths flow (a Sankey diagram in the simple case paths give: every link joins step k to k + 1):
 * one column per step, node heights proportional to sessions on one scale for the whole chart, links stacked at
 * both ends in the order of the nodes they join, so bands never cross inside a node. Pure, so it is testable
 * without a browser.
 */
import type { PathLink, PathNode, Paths } from "../../../shared/paths.ts";

const COLUMN = 170;
const NODE_WIDTH = 10;
const GAP = 12;
const HEIGHT = 320;
const MAX_LABEL = 22;

export type FlowNode = PathNode & { x: number; y: number; w: number; h: number; label: string; colorIndex: number };
export type FlowLink = PathLink & { path: string; width: number; colorIndex: number };

export function layoutFlow(paths: Paths): { width: number; height: number; nodes: FlowNode[]; links: FlowLink[] } {
  const steps = Math.max(0, ...paths.nodes.map((n) => n.step)) + 1;
  const byStep = Array.from({ length: steps }, (_, step) => paths.nodes.filter((n) => n.step === step));
  const biggest = Math.max(1, ...byStep.map((column) => column.reduce((sum, n) => sum + n.sessions, 0)));
  const mostNodes = Math.max(1, ...byStep.map((column) => column.length));
  const scale = (HEIGHT - GAP * (mostNodes - 1)) / biggest;
  const nodes: FlowNode[] = [];
  const colorIndexes = new Map<string, number>();
  for (const column of byStep) {
    let y = 0;
    for (const node of column) {
      if (!colorIndexes.has(node.value)) colorIndexes.set(node.value, colorIndexes.size);
      const h = node.sessions * scale;
      const label = node.value.length > MAX_LABEL ? `${node.value.slice(0, MAX_LABEL - 1)}…` : node.value;
      nodes.push({
        ...node,
        x: node.step * COLUMN,
        y,
        w: NODE_WIDTH,
        h,
        label,
        colorIndex: colorIndexes.get(node.value)!,
      });
      y += h + GAP;
    }
  }
  const find = (step: number, value: string) => nodes.find((n) => n.step === step && n.value === value);
  const outOffset = new Map<FlowNode, number>();
  const inOffset = new Map<FlowNode, number>();
  const order = (n: FlowNode | undefined) => (n ? nodes.indexOf(n) : 0);
  const sorted = [...paths.links].sort(
    (a, b) =>
      a.fromStep - b.fromStep ||
      order(find(a.fromStep, a.from)) - order(find(b.fromStep, b.from)) ||
      order(find(a.fromStep + 1, a.to)) - order(find(b.fromStep + 1, b.to)),
  );
  const links: FlowLink[] = [];
  for (const link of sorted) {
    const source = find(link.fromStep, link.from);
    const target = find(link.fromStep + 1, link.to);
    if (!source || !target) continue;
    const width = link.sessions * scale;
    const y0 = source.y + (outOffset.get(source) ?? 0) + width / 2;
    const y1 = target.y + (inOffset.get(target) ?? 0) + width / 2;
    outOffset.set(source, (outOffset.get(source) ?? 0) + width);
    inOffset.set(target, (inOffset.get(target) ?? 0) + width);
    const x0 = source.x + NODE_WIDTH;
    const x1 = target.x;
    const mid = (x0 + x1) / 2;
    links.push({
      ...link,
      width,
      colorIndex: target.colorIndex,
      path: `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`,
    });
  }
  const height = Math.max(HEIGHT, ...nodes.map((n) => n.y + n.h)) + 4;
  return { width: (steps - 1) * COLUMN + NODE_WIDTH + 150, height, nodes, links };
}
