package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.SharedWriteException;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** A write the shared bucket refused is a 503 with Retry-After that says what the other replicas would miss. */
class SharedWritesTest {

    private static RegistryException refusal(CompletableFuture<?> answered) {
        Throwable e = catchThrowable(answered::join);
        assertThat(e).isInstanceOf(CompletionException.class);
        assertThat(e.getCause()).isInstanceOf(RegistryException.class);
        return (RegistryException) e.getCause();
    }

    private static CompletableFuture<Object> bucketRefused() {
        return CompletableFuture.failedFuture(new SharedWriteException("writing meta/pins/x", new IOException("503 from S3")));
    }

    @Test
    void aPushTheBucketRefusedIsUnavailableAndSaysThePushWouldNotBeServed() {
        RegistryException r = refusal(SharedWrites.acknowledged(bucketRefused()));
        assertThat(r.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.headers()).containsEntry("Retry-After", "5");
        assertThat(r.getMessage()).contains("could not serve this push");
    }

    @Test
    void aPinTheBucketRefusedSaysSoAndNotThatItWasAPush() {
        RegistryException r = refusal(SharedWrites.acknowledged(bucketRefused(), "would not know this pin"));
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.getMessage()).contains("would not know this pin").doesNotContain("push");
    }

    @Test
    void otherFailuresPassAsTheyAre() {
        IllegalStateException other = new IllegalStateException("not a bucket write");
        Throwable e = catchThrowable(SharedWrites.acknowledged(CompletableFuture.failedFuture(other))::join);
        assertThat(e.getCause()).isSameAs(other);
    }
}
