package io.layerproxy.events;

import io.layerproxy.origin.S3Clients;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Consumes S3 event notifications from an SQS queue ({@code --events-sqs}): long polls (20 s, 10 messages),
 * applies each message ({@link EventApplier}), deletes what it handled in one batch (malformed messages too: a
 * message that can never be read must not come back forever), backs off from 1 s to 30 s while SQS fails, and
 * stops when closed. Credentials come from the same chain as S3's.
 */
public final class SqsEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqsEvents.class);

    private final SqsClient sqs;
    private final String queueUrl;
    private final EventApplier events;
    private final Thread thread;
    private volatile boolean running = true;

    private SqsEvents(SqsClient sqs, String queueUrl, EventApplier events) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.events = events;
        this.thread = new Thread(this::run, "layerproxy-events-sqs");
        this.thread.setDaemon(true);
    }

    /** Starts consuming {@code queueUrl}; {@code endpoint} null for AWS, else an SQS-compatible server. */
    public static SqsEvents start(
            String queueUrl, @Nullable URI endpoint, String region, Map<String, String> env, EventApplier events) {
        var builder = SqsClient.builder().region(Region.of(region)).credentialsProvider(S3Clients.credentials(env));
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        var consumer = new SqsEvents(builder.build(), queueUrl, events);
        consumer.thread.start();
        LOG.info("events: consuming S3 event notifications from {}", queueUrl);
        return consumer;
    }

    private void run() {
        long backoffMillis = 1000;
        while (running) {
            try {
                List<Message> messages = sqs.receiveMessage(b ->
                                b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(20))
                        .messages();
                List<DeleteMessageBatchRequestEntry> handled = new ArrayList<>();
                for (Message message : messages) {
                    handle(message);
                    handled.add(DeleteMessageBatchRequestEntry.builder()
                            .id(String.valueOf(handled.size()))
                            .receiptHandle(message.receiptHandle())
                            .build());
                }
                if (!handled.isEmpty()) {
                    sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(handled));
                }
                backoffMillis = 1000;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warn("events: SQS failed, trying again in {} s: {}", backoffMillis / 1000, e.toString());
                try {
                    Thread.sleep(backoffMillis); // a backoff between failed polls, not a wait for anyone
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoffMillis =
                        Math.min(backoffMillis * 2, Duration.ofSeconds(30).toMillis());
            }
        }
    }

    private void handle(Message message) {
        String sent = message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
        if (sent != null) {
            try {
                events.queueLag(Math.max(0, System.currentTimeMillis() - Long.parseLong(sent)));
            } catch (NumberFormatException e) {
                // no lag to report
            }
        }
        try {
            events.apply(message.body());
        } catch (IllegalArgumentException e) {
            LOG.warn("events: message {} dropped: {}", message.messageId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("events: applying message {} failed; dropped: {}", message.messageId(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        sqs.close(); // aborts a long poll in flight
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
