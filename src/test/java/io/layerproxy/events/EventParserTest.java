package io.layerproxy.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shapes S3 event notifications arrive in, as AWS, MinIO and EventBridge document them. */
class EventParserTest {
    /** S3's own record (to SQS directly): the key is form-encoded, + is a space. */
    private static final String S3_PUT = """
            {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
              "eventTime":"2026-12-03T10:00:00.000Z","eventName":"ObjectCreated:Put",
              "s3":{"s3SchemaVersion":"1.0","configurationId":"layerproxy",
                "bucket":{"name":"site","arn":"arn:aws:s3:::site"},
                "object":{"key":"docs/a+b%2Bc%C3%A9.txt","size":12,"eTag":"0123456789abcdef0123456789abcdef",
                  "versionId":"v1","sequencer":"0055AED6DCD90281E5"}}}]}""";

    @Test
    void s3Records_decodeFormEncodedKeys() throws Exception {
        assertEquals(
                List.of(new S3Event(
                        true,
                        "site",
                        "docs/a b+cé.txt",
                        "0123456789abcdef0123456789abcdef",
                        "v1",
                        "0055AED6DCD90281E5")),
                EventParser.parse(S3_PUT));
        String delete = S3_PUT.replace("ObjectCreated:Put", "ObjectRemoved:Delete");
        assertFalse(EventParser.parse(delete).get(0).created());
    }

    @Test
    void snsEnvelope_carriesTheRecordsInItsMessage() throws Exception {
        String sns = "{\"Type\":\"Notification\",\"MessageId\":\"m1\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\","
                + "\"Message\":"
                + com.fasterxml.jackson.databind.json.JsonMapper.builder()
                        .build()
                        .writeValueAsString(S3_PUT)
                + "}";
        assertEquals(EventParser.parse(S3_PUT), EventParser.parse(sns));
    }

    @Test
    void eventBridge_keyAsItIs_andOnlyCreatedOrDeleted() throws Exception {
        String created = """
                {"version":"0","id":"e1","detail-type":"Object Created","source":"aws.s3","account":"1",
                 "time":"2026-12-03T10:00:00Z","region":"us-east-1","resources":["arn:aws:s3:::site"],
                 "detail":{"version":"0","bucket":{"name":"site"},
                   "object":{"key":"raw/a+b 2023:08.zip","size":5,"etag":"abc-2","version-id":"v9",
                     "sequencer":"0064D3901D00059242"},"reason":"PutObject"}}""";
        assertEquals(
                List.of(new S3Event(true, "site", "raw/a+b 2023:08.zip", "abc-2", "v9", "0064D3901D00059242")),
                EventParser.parse(created));
        assertFalse(EventParser.parse(created.replace("Object Created", "Object Deleted"))
                .get(0)
                .created());
        assertEquals(List.of(), EventParser.parse(created.replace("Object Created", "Object Restore Completed")));
    }

    @Test
    void minioWebhook_s3Prefixes_andEncodedSlashes() throws Exception {
        String minio = """
                {"EventName":"s3:ObjectCreated:Put","Key":"site/dir/f.txt","Records":[{"eventVersion":"2.0",
                  "eventSource":"minio:s3","eventName":"s3:ObjectCreated:Put",
                  "s3":{"bucket":{"name":"site"},"object":{"key":"dir%2Ff+1.txt","size":3,
                    "eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"17A3E2C4D5B6C7D8"}}}]}""";
        S3Event event = EventParser.parse(minio).get(0);
        assertEquals("dir/f 1.txt", event.key());
        assertTrue(event.created());
    }

    @Test
    void testEvent_isNoEvent_andAnythingElseIsMalformed() throws Exception {
        assertEquals(List.of(), EventParser.parse("{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\"}"));
        for (String bad : List.of("", "not json", "[]", "{\"Records\":{}}", "{\"hello\":1}", "{\"Records\":[{}]}")) {
            assertThrows(EventParser.Malformed.class, () -> EventParser.parse(bad), bad);
        }
    }

    @Test
    void sequencers_compareAsHexOfEqualLength() {
        S3Event later = new S3Event(true, "b", "k", null, null, "0055AED6DCD90281E6");
        assertTrue(later.after("0055AED6DCD90281E5"));
        assertFalse(later.after("0055AED6DCD90281E6"), "a repeat is not after");
        assertTrue(later.after("55AED6DCD90281E5"), "the shorter is padded on the left");
        assertFalse(later.after("1055AED6DCD90281E5"));
        assertTrue(later.after(null));
    }
}
