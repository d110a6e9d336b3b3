import { expect, test } from "vitest";
import { Deque } from "../../src/core/deque.js";

test("a deque is first-in first-out across growth and wrap-around, and unshift puts an item first", () => {
  const deque = new Deque<number>();
  const model: number[] = [];
  // Interleave pushes and shifts so the head wraps around the ring several times while it grows.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 7; i++) {
      deque.push(round * 10 + i);
      model.push(round * 10 + i);
    }
    for (let i = 0; i < 5; i++) expect(deque.shift()).toBe(model.shift());
    if (round % 3 === 0) {
      deque.unshift(-round);
      model.unshift(-round);
    }
    expect(deque.length).toBe(model.length);
    expect(deque.peek()).toBe(model[0]);
  }
  expect([...deque]).toEqual(model);

  deque.clear();
  expect(deque.length).toBe(0);
  expect(deque.shift()).toBeUndefined();
  expect(deque.peek()).toBeUndefined();
});
