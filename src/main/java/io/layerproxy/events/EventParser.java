package io.layerproxy.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the message shapes S3 event notifications arrive in: S3's own ({@code Records[]}, keys form-encoded, as
 * S3 sends them to SQS and MinIO/Ceph to webhooks, MinIO with {@code s3:} prefixes and {@code %2F}), wrapped in an
 * SNS notification ({@code Type: Notification}, the records in {@code Message}), and EventBridge's
 * ({@code detail-type} "Object Created" / "Object Deleted", the key as it is). S3's {@code s3:TestEvent} yields no
 * event. Anything else is {@link Malformed}.
 */
final class EventParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventParser() {}

    /** A message that is not one of the shapes above (or not JSON): logged, counted, deleted. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    static List<S3Event> parse(String message) throws Malformed {
        JsonNode root;
        try {
            root = JSON.readTree(message);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new Malformed("not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new Malformed("not a JSON object");
        }
        if ("Notification".equals(text(root, "Type")) && root.hasNonNull("Message")) {
            return parse(root.get("Message").asText()); // SNS: the S3 message is a string inside
        }
        if (root.has("Records")) {
            return records(root.get("Records"));
        }
        if (root.has("detail-type") && root.has("detail")) {
            return eventBridge(root);
        }
        if (text(root, "Event") != null && text(root, "Event").endsWith("TestEvent")) {
            return List.of();
        }
        throw new Malformed("neither S3 records, an SNS notification nor an EventBridge event");
    }

    private static List<S3Event> records(JsonNode records) throws Malformed {
        if (!records.isArray()) {
            throw new Malformed("Records is not an array");
        }
        List<S3Event> events = new ArrayList<>();
        for (JsonNode record : records) {
            String name = text(record, "eventName");
            JsonNode s3 = record.get("s3");
            if (name == null || s3 == null || s3.get("bucket") == null || s3.get("object") == null) {
                throw new Malformed("a record without eventName, s3.bucket or s3.object");
            }
            String type = name.startsWith("s3:") ? name.substring(3) : name;
            JsonNode object = s3.get("object");
            String bucket = text(s3.get("bucket"), "name");
            String key = text(object, "key");
            if (bucket == null || key == null) {
                throw new Malformed("a record without a bucket name or key");
            }
            if (!type.startsWith("ObjectCreated") && !type.startsWith("ObjectRemoved")) {
                continue; // restores, replication, tagging...: the object's bytes did not change
            }
            events.add(new S3Event(
                    type.startsWith("ObjectCreated"),
                    bucket,
                    URLDecoder.decode(key, StandardCharsets.UTF_8), // form-encoded: + is a space
                    unquoted(text(object, "eTag")),
                    text(object, "versionId"),
                    text(object, "sequencer")));
        }
        return events;
    }

    private static List<S3Event> eventBridge(JsonNode root) throws Malformed {
        String type = text(root, "detail-type");
        JsonNode detail = root.get("detail");
        JsonNode object = detail.get("object");
        String bucket = detail.get("bucket") == null ? null : text(detail.get("bucket"), "name");
        String key = object == null ? null : text(object, "key");
        if (bucket == null || key == null) {
            throw new Malformed("an EventBridge event without detail.bucket.name or detail.object.key");
        }
        String lower = type == null ? "" : type.toLowerCase(Locale.ROOT);
        if (!lower.equals("object created") && !lower.equals("object deleted")) {
            return List.of();
        }
        return List.of(new S3Event(
                lower.equals("object created"),
                bucket,
                key,
                unquoted(text(object, "etag")),
                text(object, "version-id"),
                text(object, "sequencer")));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() || value.asText().isEmpty() ? null : value.asText();
    }

    private static String unquoted(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }
}
