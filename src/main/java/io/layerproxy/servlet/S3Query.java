package io.layerproxy.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * S3's GetObject query parameters: {@code versionId}, the {@code response-*} header overrides, and the
 * subresources that make a GET another operation, which this proxy refuses instead of answering them with the
 * object's bytes.
 */
final class S3Query {
    /** S3's response header overrides and the header each one sets. */
    private static final Map<String, String> OVERRIDES = Map.of(
            "response-content-type", "Content-Type",
            "response-content-disposition", "Content-Disposition",
            "response-cache-control", "Cache-Control",
            "response-content-encoding", "Content-Encoding",
            "response-content-language", "Content-Language",
            "response-expires", "Expires");

    /** Subresources of an object GET that are other S3 operations (GetObjectAcl, ListParts, ...). */
    private static final List<String> OTHER_OPERATIONS = List.of(
            "acl", "attributes", "legal-hold", "retention", "tagging", "torrent", "uploadId", "restore", "select");

    /** ListObjects' parameters: a request with one of them on a bucket is a listing, whoever sends it. */
    private static final List<String> LIST_PARAMETERS = List.of(
            "list-type",
            "prefix",
            "delimiter",
            "marker",
            "max-keys",
            "encoding-type",
            "continuation-token",
            "start-after",
            "fetch-owner");

    /** Subresources of a bucket GET that are other S3 operations than listing its objects. */
    private static final List<String> OTHER_BUCKET_OPERATIONS = List.of(
            "acl",
            "accelerate",
            "analytics",
            "cors",
            "encryption",
            "intelligent-tiering",
            "inventory",
            "lifecycle",
            "logging",
            "metrics",
            "notification",
            "object-lock",
            "ownershipControls",
            "policy",
            "policyStatus",
            "publicAccessBlock",
            "replication",
            "requestPayment",
            "tagging",
            "uploads",
            "versioning",
            "versions",
            "website");

    private S3Query() {}

    /** True when the request carries ListObjects parameters (rclone and others list without an SDK's headers). */
    static boolean isListing(HttpServletRequest req) {
        return firstPresent(req, LIST_PARAMETERS) != null;
    }

    /** The bucket subresource that makes this GET another operation than a listing, or null. */
    static @Nullable String otherBucketOperation(HttpServletRequest req) {
        return firstPresent(req, OTHER_BUCKET_OPERATIONS);
    }

    /** The first of {@code names} the query carries, or null. */
    private static @Nullable String firstPresent(HttpServletRequest req, List<String> names) {
        if (req.getQueryString() == null) {
            return null;
        }
        for (String name : names) {
            if (req.getParameter(name) != null) {
                return name;
            }
        }
        return null;
    }

    /** The version asked for, or null for the current one. */
    static @Nullable String versionId(HttpServletRequest req) {
        return req.getQueryString() == null ? null : req.getParameter("versionId"); // most hits carry no query
    }

    /**
     * Why this proxy cannot answer the request's query as S3 would, or null when it can: another operation's
     * subresource, or {@code partNumber} (a part's bytes need the upload's part table, which S3 does not list).
     */
    static @Nullable String unsupported(HttpServletRequest req) {
        if (req.getQueryString() == null) {
            return null;
        }
        String other = firstPresent(req, OTHER_OPERATIONS);
        if (other != null) {
            return "?" + other + " is another S3 operation; this proxy serves GetObject and HeadObject only";
        }
        if (req.getParameter("partNumber") != null) {
            return "?partNumber is not supported by this proxy; ask for a byte Range instead";
        }
        return null;
    }

    /** HTML, XML, SVG or script: what a browser would run, so an anonymous override may not ask for it. */
    static boolean activeContent(String type) {
        String t = type.toLowerCase(java.util.Locale.ROOT);
        return t.contains("html") || t.contains("xml") || t.contains("svg") || t.contains("script");
    }

    /** Applies the {@code response-*} overrides, as S3 does on a successful GetObject or HeadObject. */
    static void applyOverrides(HttpServletRequest req, HttpServletResponse resp) {
        if (req.getQueryString() == null) {
            return;
        }
        for (Map.Entry<String, String> override : OVERRIDES.entrySet()) {
            String value = req.getParameter(override.getKey());
            if (value != null && value.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
                if (override.getValue().equals("Content-Type")) {
                    // the proxy cannot check S3's signature on the override: no type a browser runs as a page
                    if (!activeContent(value)) {
                        resp.setContentType(value);
                    }
                } else {
                    resp.setHeader(override.getValue(), value);
                }
            }
        }
    }
}
