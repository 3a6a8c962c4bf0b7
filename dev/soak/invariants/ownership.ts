import { type ChaosEvent, chaosByRecord, describe, type Exchange, type InvariantCheck, isWrite } from '../history.ts';

export const ownersAndLiveRecordsOnly: InvariantCheck = {
  name: 'no write by anyone but the owner or an admin landed; nothing landed on a deleted record',
  violations: ({ exchanges, chaos }) => {
    const eventsOf = chaosByRecord(chaos);
    const violations: string[] = [];
    for (const e of exchanges) {
      if (e.status !== 200) continue;
      const events = eventsOf.get(e.learningId) ?? [];
      const deleted = events.find((event) => event.kind === 'delete');
      if (deleted !== undefined && e.start > deleted.end) violations.push(`${describe(e)} after its deletion`);
      if (e.admin || !isWrite(e)) continue;
      if (!ownedMeanwhile(e, events)) violations.push(`${describe(e)} by a caller who never owned it meanwhile`);
    }
    return violations;
  },
};

/** Whether the caller owned the record at some moment while the request ran. */
function ownedMeanwhile(e: Exchange, events: ChaosEvent[]): boolean {
  return events.some((event, index) => {
    if (event.owner !== e.actor) return false;
    const until = events.slice(index + 1).find((later) => later.kind !== 'create');
    return event.start <= e.end && (until === undefined || until.end >= e.start);
  });
}
