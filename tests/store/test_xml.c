/* The XML reader: S3 documents parse to the right tree; entities, CDATA, namespaces, comments;
 * malformed input of every kind (and 20000 random mutations) gives ECORRUPT, never a crash. */
#include "store/xml.h"
#include "core/buf.h"
#include "test.h"

static const char DOC[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- listing -->"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
    "<Contents><Key>a&amp;b &lt;c&gt; &#233;&#x1F600;</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>"
    "<Contents><Key><![CDATA[x<y>&z]]></Key><Size>0</Size></Contents><s3:Empty/>"
    "<IsTruncated>false</IsTruncated></ListBucketResult>";

TEST(parses_s3_documents) {
  prestige_error_t err;
  xml_doc_t d;
  CHECK_OK(xml_parse(&d, DOC, sizeof DOC - 1, &err));
  int root = xml_child(&d, -1, "ListBucketResult");
  CHECK(root == 0);
  int c = xml_child(&d, root, "Contents");
  CHECK_EQ_STR(xml_child_text(&d, c, "Key"), "a&b <c> \xc3\xa9\xf0\x9f\x98\x80");
  CHECK_EQ_STR(xml_child_text(&d, c, "ETag"), "\"abc\"");
  int c2 = xml_next(&d, c);
  CHECK(c2 > c);
  CHECK_EQ_STR(xml_child_text(&d, c2, "Key"), "x<y>&z");
  CHECK_EQ_INT(xml_next(&d, c2), -1);
  CHECK(xml_child(&d, root, "Empty") >= 0); /* namespace prefix dropped */
  CHECK_EQ_STR(xml_child_text(&d, root, "IsTruncated"), "false");
  xml_free(&d);
  buf_t b = BUF_INIT;
  xml_escape(&b, "a<b>&\"'");
  buf_append_u8(&b, 0);
  CHECK_EQ_STR((char *)b.data, "a&lt;b&gt;&amp;&quot;&apos;");
  buf_release(&b);
}

TEST(malformed) {
  prestige_error_t err;
  xml_doc_t d;
  const char *bad[] = {"", "   ", "<a>", "<a></b>", "</a>", "<a><b></a></b>", "<a>&nope;</a>", "<a>&#0;</a>",
                       "<a>&#xD800;</a>", "<a x=\"1></a>", "<a><!-- x</a>", "<a><![CDATA[x</a>", "<a/><b/>",
                       "text<a/>", "<a>&amp</a>", "<>", "<a><b x='1' y=\"2\"/></a>trailing"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = xml_parse(&d, bad[i], strlen(bad[i]), &err);
    CHECK_MSG(rc == PRESTIGE_ECORRUPT, "\"%s\" gave %d", bad[i], rc);
    CHECK(strstr(err.message, "XML") != NULL);
  }
  /* nesting deeper than the cap */
  buf_t deep = BUF_INIT;
  for (int i = 0; i < 100; i++) buf_append(&deep, "<a>", 3);
  CHECK_ERR(xml_parse(&d, (const char *)deep.data, deep.len, &err), PRESTIGE_ECORRUPT, "deeper");
  buf_release(&deep);
}

TEST(random_mutations) {
  uint64_t s = 12345;
  char buf[sizeof DOC];
  int ok = 0, bad = 0;
  for (int it = 0; it < 20000; it++) {
    memcpy(buf, DOC, sizeof DOC);
    int muts = 1 + (int)(s % 4);
    size_t len = sizeof DOC - 1;
    for (int m = 0; m < muts && len > 0; m++) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      size_t pos = s % len;
      switch ((s >> 20) % 3) {
        case 0: buf[pos] = (char)(s >> 32); break;
        case 1: len = pos; break; /* truncate */
        default: buf[pos] = "<>&;/\"'![]"[(s >> 40) % 10]; break;
      }
    }
    xml_doc_t d;
    prestige_error_t err;
    if (xml_parse(&d, buf, len, &err) == 0) {
      ok++;
      xml_free(&d);
    } else {
      bad++;
    }
  }
  printf("20000 mutated documents: %d parsed, %d rejected, no crash\n", ok, bad);
  CHECK(bad > 0);
}

TEST_MAIN(RUN(parses_s3_documents); RUN(malformed); RUN(random_mutations);)
