package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Every endpoint Gantry answers: route kind × method → (what the route
 * requires, who answers). Built once, when the server is; looking a request
 * up is an {@link EnumMap} read and an array index, nothing allocated and no
 * pattern matched. {@link RouteGuard} applies each row's
 * {@link Requirement} before its handler runs, so no handler checks access.
 */
final class RouteTable {

    /** Answers one request whose route passed its row's requirement. */
    @FunctionalInterface
    interface Handler {
        /**
         * @param repo the route's repository, resolved; null for routes that name none
         * @param reference the route's tag or digest, parsed; null for routes without one
         */
        void handle(Exchange ex, Route route, Repository repo, Reference reference);
    }

    /** One row: requests of {@code kind} with {@code method} need {@code requirement}, then go to {@code handler}. */
    record Row(Route.Kind kind, String method, Requirement requirement, Handler handler) {
    }

    /** What a kind's path names, read (and validated) before any row is. */
    enum Target {
        NONE, REPOSITORY,
        /** A repository and a tag or digest ({@code /manifests/<reference>}, the hardware extension). */
        TAG_OR_DIGEST,
        /** A repository and a digest ({@code /blobs/<digest>}). */
        DIGEST;

        Reference reference(Route route) {
            return switch (this) {
                case TAG_OR_DIGEST -> Reference.parse(Responses.decode(route.reference()));
                case DIGEST -> Reference.of(dev.gantry.oci.Digest.parse(Responses.decode(route.reference())));
                default -> null;
            };
        }
    }

    /** The methods a row may name; HEAD is named with GET. */
    private static final String[] METHODS = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"};

    /** A kind's rows, and what it does with a method it has no row for. */
    static final class Entry {
        final Route.Kind kind;
        final Target target;
        private final Row[] rows = new Row[METHODS.length];
        private Row any;
        private Requirement otherMethods;
        private String refusal;
        private String absent;
        private Map<String, String> allow = Map.of();

        private Entry(Route.Kind kind, Target target) {
            this.kind = kind;
            this.target = target;
        }

        /** GET and HEAD. */
        Entry read(Requirement requirement, Handler handler) {
            return on("GET", requirement, handler).on("HEAD", requirement, handler);
        }

        Entry on(String method, Requirement requirement, Handler handler) {
            rows[index(method)] = new Row(kind, method, requirement, handler);
            return this;
        }

        /** Every method, one row (probes). */
        Entry anyMethod(Requirement requirement, Handler handler) {
            any = new Row(kind, "*", requirement, handler);
            return this;
        }

        /**
         * A method without a row is refused (405) only once the path was read
         * and {@code requirement} met: an upload's refusal is for a caller that
         * may push there.
         */
        Entry otherMethods(Requirement requirement) {
            otherMethods = requirement;
            return this;
        }

        /** The message of the 405 for a method without a row. */
        Entry refusing(String message) {
            refusal = message;
            return this;
        }

        /** Not offered on this server: every request is 404 {@code message} once the path was read. */
        Entry absent(String message) {
            absent = message;
            return this;
        }

        /** The row for {@code method}, or null. */
        Row row(HttpMethod method) {
            if (any != null) {
                return any;
            }
            int i = indexOrMinus(method.name());
            return i < 0 ? null : rows[i];
        }

        /** Requirement met before a method without a row is refused; null: refused at once. */
        Requirement otherMethods() {
            return otherMethods;
        }

        /** Non-null: 404 with this message for every request. */
        String absent() {
            return absent;
        }

        RegistryException notAllowed(HttpMethod method) {
            String message = refusal != null ? refusal : "method " + method + " is not supported here";
            return new RegistryException(ErrorCode.UNSUPPORTED, ErrorCode.UNSUPPORTED.status(), message, allow, null);
        }

        List<Row> rows() {
            List<Row> all = new ArrayList<>();
            if (any != null) {
                all.add(any);
            }
            for (Row r : rows) {
                if (r != null) {
                    all.add(r);
                }
            }
            return all;
        }

        private void seal() {
            StringJoiner methods = new StringJoiner(", ");
            for (Row r : rows) {
                if (r != null) {
                    methods.add(r.method());
                }
            }
            allow = methods.length() == 0 ? Map.of() : Map.of("Allow", methods.toString());
        }
    }

    private final EnumMap<Route.Kind, Entry> entries = new EnumMap<>(Route.Kind.class);

    /** Starts (or replaces) the rows of {@code kind}. */
    Entry kind(Route.Kind kind, Target target) {
        Entry e = new Entry(kind, target);
        entries.put(kind, e);
        return e;
    }

    /** Computes what each entry's refusals say; call once every row is in. */
    RouteTable seal() {
        entries.values().forEach(Entry::seal);
        return this;
    }

    /** The kind's entry, or null when the table has none (then: 404). */
    Entry entry(Route.Kind kind) {
        return entries.get(kind);
    }

    /** Every entry, for tests and documentation. */
    Collection<Entry> entries() {
        return entries.values();
    }

    private static int index(String method) {
        int i = indexOrMinus(method);
        if (i < 0) {
            throw new IllegalArgumentException("no rows for method " + method);
        }
        return i;
    }

    private static int indexOrMinus(String method) {
        return switch (method) {
            case "GET" -> 0;
            case "HEAD" -> 1;
            case "PUT" -> 2;
            case "POST" -> 3;
            case "PATCH" -> 4;
            case "DELETE" -> 5;
            default -> -1;
        };
    }
}
