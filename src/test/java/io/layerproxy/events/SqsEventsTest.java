package io.layerproxy.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * {@code --events-sqs} against ElasticMQ (in-process SQS) and S3Proxy, with S3-shaped messages the test writes
 * itself (S3Proxy emits none): an overwrite or a delete is served within 2 s of its event although max-age is a
 * day; SNS and EventBridge shapes work; a malformed message is counted and deleted; the consumer carries on after
 * the SQS server restarts.
 */
class SqsEventsTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private SQSRestServer sqsServer;
    private int sqsPort;

    @AfterEach
    void stop() {
        if (sqsServer != null) {
            sqsServer.stopAndWait();
        }
    }

    private String startSqs() {
        sqsServer = SQSRestServerBuilder.withPort(sqsPort)
                .withInterface("127.0.0.1")
                .start();
        sqsServer.waitUntilStarted();
        try (SqsClient sqs = client()) {
            return sqs.createQueue(b -> b.queueName("s3-events")).queueUrl();
        }
    }

    private SqsClient client() {
        return SqsClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + sqsPort))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .build();
    }

    private static String record(String name, String key, String sequencer) {
        return "{\"Records\":[{\"eventName\":\"" + name + "\",\"s3\":{\"bucket\":{\"name\":\"sqs-ev\"},"
                + "\"object\":{\"key\":\"" + key + "\",\"eTag\":\"changed\",\"sequencer\":\"" + sequencer + "\"}}}]}";
    }

    @Test
    void eventsFromSqs_areServedWithinTwoSeconds_andTheConsumerSurvivesARestart() throws Exception {
        sqsPort = Ports.free();
        String first = startSqs();
        byte[] v1 = "version 1".getBytes(StandardCharsets.UTF_8);
        byte[] v2 = "version 2 of ü + é".getBytes(StandardCharsets.UTF_8);
        try (var s3 = new S3Fixture(S3).bucket("sqs-ev").put("sqs-ev", "dir/a b+ü.txt", v1);
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "max-age",
                        "86400",
                        "negative-ttl",
                        "86400",
                        "events-sqs",
                        first,
                        "events-sqs-endpoint",
                        "http://127.0.0.1:" + sqsPort);
                SqsClient sqs = client()) {
            String queue = first;
            String path = "/sqs-ev/dir/a%20b+%C3%BC.txt";
            String encoded = "dir/a+b%2B%C3%BC.txt"; // the key as S3 writes it into an event
            assertArrayEquals(v1, proxy.get(path).body());

            s3.put("sqs-ev", "dir/a b+ü.txt", v2);
            long sent = System.nanoTime();
            sqs.sendMessage(b -> b.queueUrl(queue).messageBody(record("ObjectCreated:Put", encoded, "10")));
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(2), () -> java.util.Arrays.equals(v2, body(proxy, path))),
                    "the new version within 2 s of its event");
            long servedMillis = (System.nanoTime() - sent) / 1_000_000;
            System.out.println("SqsEventsTest: the new version was served " + servedMillis + " ms after its event");

            // the same delete, wrapped by SNS: 404 at once
            s3.delete("sqs-ev", "dir/a b+ü.txt");
            String sns = "{\"Type\":\"Notification\",\"Message\":"
                    + com.fasterxml.jackson.databind.json.JsonMapper.builder()
                            .build()
                            .writeValueAsString(record("ObjectRemoved:Delete", encoded, "11"))
                    + "}";
            sqs.sendMessage(b -> b.queueUrl(queue).messageBody(sns));
            assertTrue(Eventually.holds(Duration.ofSeconds(2), () -> status(proxy, path) == 404), "404 after delete");

            // a malformed message is counted and deleted, never received again
            sqs.sendMessage(b -> b.queueUrl(queue).messageBody("this is not an event"));
            assertTrue(Eventually.holds(
                    Duration.ofSeconds(10), () -> proxy.proxy().events().stats().malformed() == 1));
            assertTrue(Eventually.holds(Duration.ofSeconds(10), () -> inFlight(sqs, queue) == 0), "deleted");

            // SQS goes away and comes back (empty: ElasticMQ keeps queues in memory); an EventBridge event then
            sqsServer.stopAndWait();
            String again = startSqs();
            s3.put("sqs-ev", "dir/a b+ü.txt", v1);
            assertEquals(404, status(proxy, path), "remembered as missing until told otherwise");
            String bridge = "{\"detail-type\":\"Object Created\",\"source\":\"aws.s3\",\"detail\":{\"bucket\":"
                    + "{\"name\":\"sqs-ev\"},\"object\":{\"key\":\"dir/a b+ü.txt\",\"etag\":\"x\",\"sequencer\":\"12\"}}}";
            sqs.sendMessage(b -> b.queueUrl(again).messageBody(bridge));
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(40), () -> java.util.Arrays.equals(v1, body(proxy, path))),
                    "the consumer carried on after the restart");
        }
    }

    private static int inFlight(SqsClient sqs, String queue) {
        var attributes = sqs.getQueueAttributes(b -> b.queueUrl(queue)
                        .attributeNamesWithStrings(
                                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
                .attributesAsStrings();
        return Integer.parseInt(attributes.getOrDefault("ApproximateNumberOfMessages", "0"))
                + Integer.parseInt(attributes.getOrDefault("ApproximateNumberOfMessagesNotVisible", "0"));
    }

    private static byte[] body(ProxyServer proxy, String path) {
        try {
            return proxy.get(path).body();
        } catch (Exception e) {
            return new byte[0];
        }
    }

    private static int status(ProxyServer proxy, String path) {
        try {
            return proxy.get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
