/* libFuzzer target: any bytes as a Parquet file, read fully through the stream. */
#include <stddef.h>
#include <stdint.h>

#include "prestige/parquet_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prestige_error_t err;
  prestige_input_t in;
  if (prestige_input_open_memory(&in, data, size, "fuzz", &err)) return 0;
  prestige_parquet_reader_options_t o;
  prestige_parquet_reader_options_init(&o);
  o.batch_rows = 1000;
  prestige_parquet_reader_t *r;
  if (prestige_parquet_reader_open(&r, &in, &o, &err)) return 0;
  struct ArrowArrayStream st;
  if (prestige_parquet_reader_stream(r, &st, &err)) return 0;
  struct ArrowSchema s;
  if (st.get_schema(&st, &s) == 0) s.release(&s);
  for (int i = 0; i < 10000; i++) {
    struct ArrowArray a;
    if (st.get_next(&st, &a) || !a.release) break;
    a.release(&a);
  }
  st.release(&st);
  return 0;
}
