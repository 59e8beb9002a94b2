import { describe, expect, it } from 'vitest';
import { QuantityError, canonicalQuantity, compareQuantities, formatMilli, formatQuantity, isValidQuantity, parseQuantity, quantityFormat, quantityToMilli, quantityToValue } from './quantity.js';

describe('quantity', () => {
  it.each([
    ['100m', 100],
    ['0.5', 500],
    ['.5', 500],
    ['1', 1000],
    ['0.1', 100],
    ['1.5', 1500],
    ['2', 2000],
    ['1k', 1_000_000],
    ['1e3', 1_000_000],
    ['1E3', 1_000_000],
    ['1e-3', 1],
    ['250u', 1],
    ['1n', 1],
    ['0', 0],
    ['+3', 3000],
  ])('milli value of %s is %d', (s, milli) => {
    expect(quantityToMilli(s)).toBe(milli);
  });

  it.each([
    ['1Gi', 1073741824],
    ['512Mi', 536870912],
    ['1Ki', 1024],
    ['1M', 1_000_000],
    ['1G', 1_000_000_000],
    ['1.5Gi', 1610612736],
    ['128974848', 128974848],
    ['129e6', 129_000_000],
    ['100m', 1],
    ['1Ei', 2 ** 60],
  ])('value of %s is %d', (s, v) => {
    expect(quantityToValue(s)).toBe(v);
  });

  it.each(['', 'abc', '1K', '1kb', '1 Gi', ' 1', '1Gi ', '--1', '1.2.3', 'Gi', '1e', '1ee3', '1Mi1', '0x10'])('rejects %j', (s) => {
    expect(() => parseQuantity(s)).toThrow(QuantityError);
    expect(isValidQuantity(s)).toBe(false);
  });

  it('parses negative quantities and keeps the format', () => {
    expect(quantityToMilli('-100m')).toBe(-100);
    expect(quantityFormat('1Gi')).toBe('BinarySI');
    expect(quantityFormat('1e3')).toBe('DecimalExponent');
    expect(quantityFormat('100m')).toBe('DecimalSI');
    expect(parseQuantity('1.5')).toBe(1.5);
  });

  it('compares exactly across suffixes', () => {
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('1000m', '1')).toBe(0);
    expect(compareQuantities('500m', '0.6')).toBe(-1);
    expect(compareQuantities('1024Mi', '1Gi')).toBe(0);
  });

  it('formats values', () => {
    expect(formatMilli(1500)).toBe('1500m');
    expect(formatMilli(2000)).toBe('2');
    expect(formatMilli(0)).toBe('0');
    expect(formatQuantity(1073741824, 'BinarySI')).toBe('1Gi');
    expect(formatQuantity(1536 * 1024 * 1024, 'BinarySI')).toBe('1536Mi');
    expect(formatQuantity(3000)).toBe('3k');
    expect(formatQuantity(1234)).toBe('1234');
    expect(formatQuantity(1000, 'BinarySI')).toBe('1k');
  });

  it.each([
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1.5', '1500m'],
    ['100m', '100m'],
    ['1500', '1500'],
    ['1000', '1k'],
    ['2000000', '2M'],
    ['1Gi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['1024Mi', '1Gi'],
    ['0.5Ki', '512'],
    ['1000Ki', '1000Ki'],
    ['128974848', '128974848'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['0', '0'],
    ['0Gi', '0'],
    ['0.1n', '1n'],
    ['-1.5', '-1500m'],
  ])('canonical form of %s is %s', (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });
});
