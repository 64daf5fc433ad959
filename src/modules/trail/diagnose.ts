import type { Misfit, TrailProblem } from './chain-walker.ts';
import { bodyPlace, hashBody } from './entry-codec.ts';

export interface StoredRow {
  readonly seq: number;
  readonly hash: string;
  readonly body: string;
}

/** The few look-ups diagnosis needs; only made once, at the first row that does not fit. */
export interface ChainLookup {
  /** The row stored after position `seq`. */
  rowAfter(seq: number): Promise<StoredRow | null>;
  /** The position of the row whose body says it follows `prev` at `seq` (wherever it is stored now). */
  positionOf(seq: number, prev: string): Promise<number | null>;
}

/**
 * Names what happened at the first row that did not fit: which entry was modified, deleted, inserted or
 * moved. The stored body is the truth each row carries about itself (its previous hash and its place);
 * the row's stored hash says whether that body is as written.
 */
export async function diagnose(misfit: Misfit, lookup: ChainLookup): Promise<TrailProblem> {
  const { rowSeq, expectedSeq: e, prev } = misfit;
  const place = bodyPlace(misfit.body);
  const intact = hashBody(misfit.body) === misfit.hash;
  const next = await lookup.rowAfter(rowSeq);
  const nextPlace = next ? bodyPlace(next.body) : null;
  if (
    next &&
    nextPlace &&
    hashBody(next.body) === next.hash &&
    nextPlace.seq === e &&
    nextPlace.prev === prev
  ) {
    // The next row is the entry that belongs here. Either two neighbours swapped places, or this row
    // was slipped in before it.
    if (place && intact && place.prev === next.hash) {
      return {
        kind: 'reordered',
        seq: e,
        detail: `entries ${e} and ${place.seq} swapped places: entry ${place.seq} is stored at position ${rowSeq}`,
      };
    }
    return {
      kind: 'inserted',
      seq: rowSeq,
      detail: `the entry at position ${rowSeq} does not belong to the trail: the next entry was written directly after entry ${e - 1}`,
    };
  }
  if (!place || !intact) {
    return {
      kind: 'modified',
      seq: rowSeq,
      detail: `entry ${rowSeq} was modified: its content no longer matches its hash`,
    };
  }
  if (place.seq === rowSeq && rowSeq > e) {
    return {
      kind: 'deleted',
      seq: e,
      detail:
        rowSeq - e === 1
          ? `entry ${e} was deleted: entry ${rowSeq} follows entry ${e - 1}`
          : `entries ${e} to ${rowSeq - 1} were deleted: entry ${rowSeq} follows entry ${e - 1}`,
    };
  }
  if (place.seq < e) {
    if (place.seq === e - 1 && place.prev === misfit.prevPrev) {
      return {
        kind: 'inserted',
        seq: e - 1,
        detail: `the entry at position ${e - 1} does not belong to the trail: entry ${e - 1} was written directly after entry ${e - 2} and is now stored at position ${rowSeq}`,
      };
    }
    return {
      kind: 'reordered',
      seq: e,
      detail: `entry ${place.seq} is stored at position ${rowSeq}, after entry ${e - 1}`,
    };
  }
  if (place.seq > e) {
    const where = await lookup.positionOf(e, prev);
    if (where !== null) {
      return {
        kind: 'reordered',
        seq: e,
        detail: `entry ${e} is stored at position ${where}; position ${rowSeq} holds entry ${place.seq}`,
      };
    }
    return {
      kind: 'deleted',
      seq: e,
      detail: `entry ${e} was deleted and the entries after it renumbered`,
    };
  }
  if (place.prev !== prev) {
    return {
      kind: 'modified',
      seq: e - 1,
      detail: `entry ${e - 1} was replaced: entry ${e} was written after a different entry`,
    };
  }
  return {
    kind: 'modified',
    seq: rowSeq,
    detail: `entry ${rowSeq} was modified: it is stored at position ${rowSeq} but says it is entry ${place.seq}`,
  };
}
