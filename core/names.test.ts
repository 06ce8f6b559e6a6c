import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, NAME, nameProblem, recordNameProblem } from './names.ts';

const rec = {
  benchmark: 'b',
  model: 'm',
  run: 'r',
  item_id: 'x',
  metadata: { f: 1 } as Record<string, unknown>,
};

describe('the name rule', () => {
  it('takes 1 to 191 UTF-16 units of valid Unicode, trailing spaces included', () => {
    for (const ok of ['a', 'm ', ' ', 'é', '😀', 'x'.repeat(MAX_NAME_LENGTH)]) {
      expect(nameProblem(ok)).toBeNull();
      expect(NAME.safeParse(ok).success).toBe(true);
    }
    for (const bad of ['', 'x'.repeat(MAX_NAME_LENGTH + 1), 'a\uD800', '\uDC00b']) {
      expect(nameProblem(bad)).not.toBeNull();
      expect(NAME.safeParse(bad).success).toBe(false);
    }
  });

  it('names the first bad name of a record and where it is', () => {
    expect(recordNameProblem(rec)).toBeNull();
    expect(recordNameProblem({ ...rec, metadata: { ok: 1, '': 2 } })).toEqual({
      field: 'metadata.',
      message: 'field name "" must not be empty',
    });
    expect(recordNameProblem({ ...rec, item_id: 'q\uD83D' })?.field).toBe('item_id');
    expect(recordNameProblem({ ...rec, model: 'm'.repeat(200) })?.message).toMatch(
      /^model "m{40}"… must be at most 191 characters \(this one has 200\)$/,
    );
    expect(recordNameProblem({ ...rec, run: undefined })).toBeNull(); // the default label
  });
});
