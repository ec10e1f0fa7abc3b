/** slotsWithCodes against a filter over every slot, cold and cached, and firstSlotAtOrAfter against a linear scan. */
import { describe, expect, it } from "bun:test";
import { seededRandom } from "../../test-support/analytics-test-data.ts";
import { firstSlotAtOrAfter, slotsWithCodes } from "./code-slots.ts";

describe("slotsWithCodes", () => {
  const random = seededRandom(3);
  const codes = Uint16Array.from({ length: 5_000 }, () => Math.floor(random() * 300));
  it("lists the slots holding the wanted codes in slot order, never code 0, the same again from its cache", () => {
    for (const wanted of [[1], [0, 7, 299], [5, 5, 400], [], [3, 2, 1]]) {
      const expected = [...codes.keys()].filter((i) => codes[i] !== 0 && wanted.includes(codes[i]!));
      expect([...slotsWithCodes(codes, wanted)]).toEqual(expected);
      expect([...slotsWithCodes(codes, [...wanted].reverse())]).toEqual(expected);
    }
  });
  it("finds the first listed slot at or after a slot", () => {
    const slots = slotsWithCodes(codes, [1, 2, 3]);
    for (const slot of [0, 1, 17, 2_500, 4_999, 5_000, 9_999]) {
      const linear = [...slots].findIndex((s) => s >= slot);
      expect(firstSlotAtOrAfter(slots, slot)).toBe(linear < 0 ? slots.length : linear);
    }
  });
});
