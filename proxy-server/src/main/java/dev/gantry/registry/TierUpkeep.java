package dev.gantry.registry;

import dev.gantry.oci.Digest;

/**
 * What the tiers do as blobs come and go: a committed blob is promoted to
 * memory when it fits and replicated to the shared tier when it came from
 * upstream (an upload is shared before it commits); a bad shared copy counts against S3's
 * health; a served manifest counts as a read for the shared tier's retention.
 */
public final class TierUpkeep implements BlobEvents.Listener {

    private final BlobTiers tiers;

    public TierUpkeep(BlobTiers tiers) {
        this.tiers = tiers;
    }

    @Override
    public void fillCommitted(Digest digest, BlobTiers.Origin origin) {
        tiers.committed(digest, origin);
    }

    @Override
    public void fillFailed(Digest digest, BlobTiers.Origin origin) {
        if (origin == BlobTiers.Origin.SHARED) {
            tiers.sharedCopyFailed(digest, new IllegalStateException("the S3 copy failed verification or broke off"));
        }
    }

    @Override
    public void uploadCommitted(Repository repo, Digest digest) {
        // The commit already wrote it to the shared tier (UploadCommit): only memory is left.
        tiers.committed(digest, BlobTiers.Origin.SHARED);
    }

    @Override
    public void manifestServed(Repository repo, ManifestResult m) {
        // Manifests count as read for retention too: the sweep keeps what they name.
        tiers.touch(m.digest());
    }
}
