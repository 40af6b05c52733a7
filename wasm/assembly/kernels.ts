export function weightedSum(acc: usize, x: usize, n: i32, w: f32): void {
  for (let i = 0; i < n; i++) {
    store<f32>(acc + (<usize>i << 2), load<f32>(acc + (<usize>i << 2)) + w * load<f32>(x + (<usize>i << 2)));
  }
}
