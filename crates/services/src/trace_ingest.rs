//! Trace ingestion: authenticated batches → priced, offloaded, durably written span rows. (Being built: issue 4.)
