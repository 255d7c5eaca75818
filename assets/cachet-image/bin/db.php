<?php

/*
 * The entry point's database steps, on the connection Cachet itself makes (connect.php).
 * Runs on the image's PHP 7.1.
 *
 *   php db.php wait SECONDS   retry until a connection works, then exit 0; exit 1 with the last error
 *   php db.php schema         under a database lock (one instance at a time): install Cachet on an
 *                             empty database, else run its migrations
 *
 * CACHET_ROOT (default /var/www/html) is where Cachet lives; CACHET_ARTISAN (default
 * "php artisan") runs its commands.
 */

require __DIR__.'/connect.php';

$root = cachet_root();

function fail($message)
{
    fwrite(STDERR, "cachet-db: {$message}\n");
    exit(1);
}

$command = isset($argv[1]) ? $argv[1] : '';

if ($command === 'wait') {
    $seconds = isset($argv[2]) ? (int) $argv[2] : 60;
    $deadline = time() + $seconds;
    for ($attempt = 1; ; $attempt++) {
        try {
            $pdo = cachet_connect();
            $cipher = $pdo->query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")->fetch(PDO::FETCH_NUM);
            echo "cachet-db: connected to ".getenv('DB_HOST')." with TLS ({$cipher[1]})\n";
            exit(0);
        } catch (Exception $e) {
            if (time() >= $deadline) {
                fail("no database connection after {$seconds} s ({$attempt} attempts): ".$e->getMessage());
            }
            fwrite(STDERR, "cachet-db: waiting for the database: ".$e->getMessage()."\n");
            sleep(2);
        }
    }
}

if ($command === 'schema') {
    try {
        $pdo = cachet_connect();
        // Instances of a new environment start together; one installs, the others then migrate (a no-op).
        if ((int) $pdo->query("SELECT GET_LOCK('cachet-schema', 600)")->fetchColumn() !== 1) {
            fail('timed out after 600 s waiting for the schema lock held by another instance');
        }
        $table = (getenv('DB_PREFIX') ?: '').'sessions';
        $exists = $pdo->prepare('SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?');
        $exists->execute([$table]);
        $step = ((int) $exists->fetchColumn()) === 1 ? 'migrate --force' : 'app:install';
    } catch (Exception $e) {
        fail('schema check failed: '.$e->getMessage());
    }
    $artisan = getenv('CACHET_ARTISAN') ?: 'php artisan';
    echo "cachet-db: {$step}\n";
    passthru("cd ".escapeshellarg($root)." && {$artisan} {$step}", $status);
    $pdo->query("SELECT RELEASE_LOCK('cachet-schema')");
    // app:install ends with config:cache, which freezes config/database.php, the password read from
    // DB_SECRET_FILE included, into bootstrap/cache/config.php: after the first rotation that
    // instance could not connect again. Without the file, Laravel reads config/ on every request.
    $cached = $root.'/bootstrap/cache/config.php';
    if (file_exists($cached)) {
        if (!unlink($cached)) {
            fail("cannot remove {$cached}; it holds the install-time database password");
        }
        echo "cachet-db: removed bootstrap/cache/config.php, so each request reads the current password\n";
    }
    exit($status);
}

fail("unknown command \"{$command}\"; use: wait SECONDS | schema");
