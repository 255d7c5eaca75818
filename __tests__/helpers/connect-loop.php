<?php

// Opens a new connection as Cachet does (the image's bin/connect.php: config/database.php, the
// credentials read from DB_SECRET_FILE each time) every 20 ms for SECONDS, runs a query on each, and
// prints one JSON line: connections by user, and every failure with its time and message.
// Usage: php connect-loop.php SECONDS (CACHET_CONNECT names bin/connect.php)

require getenv('CACHET_CONNECT');

$until = microtime(true) + (float) $argv[1];
$byUser = [];
$failures = [];
while (microtime(true) < $until) {
    try {
        $user = cachet_connect(2)->query('SELECT CURRENT_USER()')->fetchColumn();
        $user = explode('@', $user)[0];
        $byUser[$user] = ($byUser[$user] ?? 0) + 1;
    } catch (Throwable $e) {
        $failures[] = sprintf('%.3f %s', microtime(true), $e->getMessage());
    }
    usleep(20000);
}
echo json_encode(['byUser' => $byUser, 'failures' => $failures]), "\n";
