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
    if ($status === 0) {
        try {
            cachet_seed($pdo);
            cachet_application_user($pdo);
        } catch (Exception $e) {
            fail('setting Cachet up failed: '.$e->getMessage());
        }
    }
    $pdo->query("SELECT RELEASE_LOCK('cachet-schema')");
    cachet_forget_caches($root);
    exit($status);
}

/*
 * Cachet's set-up, done at install instead of by the first visitor of /setup: the settings its
 * step 2 writes (app_name is what closes /setup: Cachet's SetupAlreadyCompleted middleware sends
 * /setup to the dashboard once it is set) and the admin its step 3 creates, from CACHET_ADMIN (the
 * admin secret's JSON, {"username", "email", "password"}, which Beanstalk resolves into the
 * environment). Only while no app_name exists: an installed Cachet keeps its own settings and users.
 * The user row is what Cachet 2.3.15's User model writes: a bcrypt password (Laravel's Hash::make),
 * a 20-character API key (str_random(20)), level 1 (admin).
 */
function cachet_seed(PDO $pdo)
{
    $prefix = getenv('DB_PREFIX') ?: '';
    $named = $pdo->prepare("SELECT COUNT(*) FROM `{$prefix}settings` WHERE name = 'app_name' AND value <> ''");
    $named->execute();
    if ((int) $named->fetchColumn() > 0) {
        return;
    }
    $admin = json_decode((string) getenv('CACHET_ADMIN'), true);
    foreach (['username', 'email', 'password'] as $field) {
        if (!is_array($admin) || !isset($admin[$field]) || !is_string($admin[$field]) || $admin[$field] === '') {
            throw new RuntimeException("CACHET_ADMIN must be the admin secret's JSON with a non-empty \"{$field}\"");
        }
    }
    $settings = [
        'app_name'     => getenv('CACHET_SITE_NAME') ?: 'Status',
        'app_domain'   => getenv('APP_URL'),
        'app_timezone' => 'UTC',
        'app_locale'   => 'en',
        'show_support' => '0',
    ];
    $pdo->beginTransaction();
    $setting = $pdo->prepare("INSERT INTO `{$prefix}settings` (name, value, created_at, updated_at) VALUES (?, ?, NOW(), NOW())");
    foreach ($settings as $name => $value) {
        $pdo->prepare("DELETE FROM `{$prefix}settings` WHERE name = ?")->execute([$name]);
        $setting->execute([$name, (string) $value]);
    }
    $exists = $pdo->prepare("SELECT COUNT(*) FROM `{$prefix}users` WHERE username = ? OR email = ?");
    $exists->execute([$admin['username'], $admin['email']]);
    if ((int) $exists->fetchColumn() === 0) {
        $alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
        $apiKey = '';
        for ($i = 0; $i < 20; $i++) {
            $apiKey .= $alphabet[random_int(0, strlen($alphabet) - 1)];
        }
        $pdo->prepare(
            "INSERT INTO `{$prefix}users` (username, password, email, api_key, active, level, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, NOW(), NOW())"
        )->execute([$admin['username'], password_hash($admin['password'], PASSWORD_BCRYPT, ['cost' => 10]), $admin['email'], $apiKey]);
        echo "cachet-db: created the admin {$admin['username']} from CACHET_ADMIN\n";
    }
    $pdo->commit();
    echo "cachet-db: Cachet is set up (/setup now leads to the dashboard)\n";
}

/*
 * The database user Cachet serves as, from CACHET_APP_SECRET_FILE (the application user's secret,
 * {"username", "password", ...}), made by this step, which runs as the master user: created with
 * that password when missing (first install), then granted what Cachet needs at run time and no more
 * (rows of its own database: SELECT, INSERT, UPDATE, DELETE; migrations and this set-up run as the
 * master), TLS required. Secrets Manager rotates the secret by alternating that user and its
 * "_clone" (AWS's multi-user rotation function creates the clone with the user's grants); both get
 * the grants here. A password is changed here only when the secret's own user exists and its
 * password does not log in: the database was restored from a snapshot of an earlier stack, whose
 * user kept that stack's password; the secret is the truth, and rotation then carries on from it.
 */
function cachet_application_user(PDO $pdo)
{
    $file = getenv('CACHET_APP_SECRET_FILE');
    if ($file === false || $file === '') {
        return;
    }
    $secret = json_decode((string) @file_get_contents($file), true);
    if (!is_array($secret) || !isset($secret['username'], $secret['password']) || !is_string($secret['username']) || !is_string($secret['password'])) {
        throw new RuntimeException("CACHET_APP_SECRET_FILE: {$file} is not the application user's secret JSON (string \"username\" and \"password\")");
    }
    $base = preg_replace('/_clone$/', '', $secret['username']);
    if (!preg_match('/^[a-z][a-z0-9_]{0,9}$/', $base)) {
        throw new RuntimeException("the application user \"{$base}\" must be 1-10 lower-case letters, digits or _ (with \"_clone\" it stays within the rotation's 16)");
    }
    $database = $pdo->query('SELECT DATABASE()')->fetchColumn();
    $exists = $pdo->prepare('SELECT COUNT(*) FROM mysql.user WHERE User = ?');
    foreach ([$base, $base.'_clone'] as $user) {
        $exists->execute([$user]);
        $present = (int) $exists->fetchColumn() > 0;
        if (!$present && $user === $secret['username']) {
            $pdo->exec('CREATE USER '.$pdo->quote($user)."@'%' IDENTIFIED BY ".$pdo->quote($secret['password']).' REQUIRE SSL');
            echo "cachet-db: created the application user {$user}\n";
            $present = true;
        }
        if ($present) {
            $pdo->exec('ALTER USER '.$pdo->quote($user)."@'%' REQUIRE SSL");
            $pdo->exec("GRANT SELECT, INSERT, UPDATE, DELETE ON `{$database}`.* TO ".$pdo->quote($user)."@'%'");
        }
        if ($present && $user === $secret['username'] && !cachet_logs_in($user, $secret['password'])) {
            $pdo->exec('ALTER USER '.$pdo->quote($user)."@'%' IDENTIFIED BY ".$pdo->quote($secret['password']));
            echo "cachet-db: set {$user}'s password to its secret's: the database holds another (restored from a snapshot)\n";
        }
    }
}

/** Whether the user logs in with the password, as Cachet connects; any failure but a refused password is thrown. */
function cachet_logs_in($username, $password)
{
    $config = require cachet_root().'/config/database.php';
    $mysql = $config['connections']['mysql'];
    $mysql['username'] = $username;
    $mysql['password'] = $password;
    try {
        (new Illuminate\Database\Connectors\MySqlConnector())->connect($mysql);

        return true;
    } catch (PDOException $e) {
        if ((int) $e->getCode() === 1045 || strpos($e->getMessage(), '[1045]') !== false) {
            return false;
        }
        throw $e;
    }
}

/*
 * Caches that would outlive what they cache:
 * - bootstrap/cache/config.php: app:install ends with config:cache, which freezes config/database.php,
 *   the password read from DB_SECRET_FILE included; after the first rotation that instance could not
 *   connect again. Without it, Laravel reads config/ on every request.
 * - bootstrap/cachet/*.php: Cachet's settings cache, written by any artisan run before the settings
 *   were seeded; it would keep /setup open. Cachet writes it again on the next request.
 */
function cachet_forget_caches($root)
{
    foreach (array_merge([$root.'/bootstrap/cache/config.php'], glob($root.'/bootstrap/cachet/*.php') ?: []) as $file) {
        if (file_exists($file)) {
            if (!unlink($file)) {
                fail("cannot remove {$file}, a cache older than the settings and the password it would keep");
            }
            echo 'cachet-db: removed '.substr($file, strlen($root) + 1)."\n";
        }
    }
}

fail("unknown command \"{$command}\"; use: wait SECONDS | schema");
