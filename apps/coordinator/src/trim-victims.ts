// Which copies of a chunk with too many go: see trimVictims.
import type { NodeRecord } from '@dfs/metadata';

/**
 * Which healthy holders lose their copy when a chunk has `surplus` too many:
 * first copies in a zone that holds another counted copy (so the copies keep
 * spanning as many zones as they can: trimming by fullness alone can leave
 * two copies in one zone and lose the only one in another), then the
 * fullest nodes.
 */
export function trimVictims(healthy: readonly NodeRecord[], counted: readonly NodeRecord[], surplus: number): NodeRecord[] {
  const perZone = new Map<string, number>();
  for (const n of counted) perZone.set(n.zone, (perZone.get(n.zone) ?? 0) + 1);
  const candidates = [...healthy].sort((a, b) => a.freeBytes - b.freeBytes);
  const victims: NodeRecord[] = [];
  while (victims.length < surplus && candidates.length > 0) {
    const i = Math.max(0, candidates.findIndex((n) => (perZone.get(n.zone) ?? 0) > 1));
    const [victim] = candidates.splice(i, 1);
    perZone.set(victim!.zone, (perZone.get(victim!.zone) ?? 0) - 1);
    victims.push(victim!);
  }
  return victims;
}
