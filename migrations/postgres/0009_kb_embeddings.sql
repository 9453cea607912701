-- The knowledge base's vector side (issue 13): which provider key and embedding model a
-- project's index is embedded with. No key: the index is lexical only. The key is not a foreign
-- key: deleting it leaves the setting, and the next index build says the key is gone.
ALTER TABLE kb_settings ADD COLUMN embedding_key_id TEXT;
ALTER TABLE kb_settings ADD COLUMN embedding_model TEXT NOT NULL DEFAULT '';
