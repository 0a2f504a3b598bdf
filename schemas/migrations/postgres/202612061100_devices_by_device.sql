-- The device a check-in names, looked up among other physicians' bindings
-- (`device_shared`): one phone, or one cloned app id, working several accounts.
CREATE INDEX devices_device ON devices (device_id);
