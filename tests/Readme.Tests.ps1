# The README's PowerShell, pasted as a user pastes it: the opening block (its lines that say "until Ctrl+C" must run
# until stopped, the rest finish), the tour (self-contained, start to end), Import-Module from the build; and the
# packaged module (LICENSE included) published to a repository, installed from it and imported without a warning.

BeforeDiscovery {
    $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../README.md')
    $script:blocks = foreach ($m in [regex]::Matches($readme, '(?ms)^```powershell\r?\n(.*?)^```')) {
        $heading = ([regex]::Matches($readme.Substring(0, $m.Index), '(?m)^#+ (.*)$') | Select-Object -Last 1).Groups[1].Value.Trim()
        @{ Heading = $heading; Code = $m.Groups[1].Value.TrimEnd() }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    $script:root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-readme-' + [guid]::NewGuid().ToString('n'))
    $null = New-Item -ItemType Directory -Path $script:work
    $key = [Security.Cryptography.RSA]::Create(2048)
    $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=fleet-ca', $key, 'SHA256', [Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $script:fleetCa = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30)).ExportCertificatePem()
}

AfterAll {
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'README: <Heading>' -ForEach $script:blocks {
    It 'runs as pasted' {
        $lines = @($Code -split "`r?`n")
        if ($lines[0] -match '^Install-Module') {
            # No gallery can be reached here: the packaging test below installs the same package from a repository.
            Set-ItResult -Skipped -Because 'Install-Module needs the PowerShell Gallery; "the packaged module installs" covers the package'
            return
        }
        $directory = if ($lines[0] -match '^Import-Module \./out') { $script:root } else { Join-Path $script:work ([guid]::NewGuid().ToString('n')) }
        $null = New-Item -ItemType Directory -Force -Path $directory
        # The opening block's readings.log is a data logger's file; 1883 is the usual port, taken by nothing here.
        if ($directory -ne $script:root) {
            Set-Content -LiteralPath (Join-Path $directory 'readings.log') -Value '21.0', '21.4'
            # The bridge example's CA certificate is the user's own fleet's.
            Set-Content -LiteralPath (Join-Path $directory 'fleet-ca.crt') -Value $script:fleetCa
        }
        $port = Get-FreeTcpPort
        # Where the README names a cluster of the user's, a loopback port nothing listens on stands in for it (no traffic
        # leaves the machine): the bridge keeps trying, as it does while a real cluster is unreachable. Get-Credential's
        # prompt is answered with a credential.
        $unreachable = Get-FreeTcpPort
        $results = Invoke-DocumentedLines -Lines $lines -WorkingDirectory $directory -SetupArguments $port, $unreachable -Setup {
            param($port, $unreachable)
            $ExampleSubstitutions = @{
                '(?<=-Port )1883\b' = "$port"; '(?<=-Broker )localhost\b' = "127.0.0.1:$port"
                '[a-z0-9-]+\.example\.com:\d+' = "127.0.0.1:$unreachable"
                'Get-Credential (\w+)' = '([pscredential]::new(''$1'', (ConvertTo-SecureString ''fleet-password'' -AsPlainText -Force)))'
            }
        }
        foreach ($r in $results) {
            ($r.Errors | ForEach-Object { "$_" }) -join "`n" | Should -BeNullOrEmpty -Because "'$($r.Line)' runs without an error"
            if ($r.UntilStopped) {
                $r.Completed | Should -BeFalse -Because "'$($r.Line)' runs until Ctrl+C"
                $r.StopSeconds | Should -BeLessThan 1.5 -Because 'Ctrl+C returns the prompt at once'
            }
            else { $r.Completed | Should -BeTrue -Because "'$($r.Line)' finishes on its own" }
        }
        if ($Heading -eq 'A short tour') {
            $output = $results | ForEach-Object Output
            @($output | Where-Object { $_ -is [MqttPS.Core.Messages.MqttMessage] -and $_.Topic -like 'home/*' }).Count | Should -Be 2
            $output | Where-Object { $_ -is [bool] } | Should -Be $true
        }
    }
}

Describe 'LICENSE' {
    It 'is the MIT license the manifest names, shipped in the module folder' {
        $license = Join-Path $script:root 'LICENSE'
        $license | Should -Exist
        (Get-Content -Raw $license) | Should -Match '^MIT License'
        (Get-Content -Raw $license) | Should -Match 'Copyright \(c\) MqttPS contributors'
        $manifest = Import-PowerShellDataFile (Join-Path $script:root 'MqttPS.psd1')
        $manifest.PrivateData.PSData.LicenseUri | Should -Match '/LICENSE$'
        $manifest.Copyright | Should -Match 'MIT'
        $shipped = Join-Path (Split-Path (Get-MqttPSModulePath)) 'LICENSE'
        $shipped | Should -Exist
        (Get-FileHash $shipped).Hash | Should -Be (Get-FileHash $license).Hash
    }

    It 'travels with the packaged module: published to a repository, installed from it, imported without a warning' {
        # In a PowerShell of its own with a home of its own, so that the repository registration touches no real profile.
        $home2 = Join-Path $script:work 'home'
        $repository = Join-Path $script:work 'repository'
        $installed = Join-Path $script:work 'installed'
        $null = New-Item -ItemType Directory -Force -Path $home2, $repository, $installed
        $pwsh = Get-PwshExecutable
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MqttPSLocal -Uri '$repository' -Trusted
Publish-PSResource -Path '$(Split-Path (Get-MqttPSModulePath))' -Repository MqttPSLocal
Save-PSResource -Name MqttPS -Repository MqttPSLocal -Path '$installed' -TrustRepository
Import-Module (Join-Path '$installed' 'MqttPS') -WarningVariable warnings
'warnings:' + @(`$warnings).Count
'cmdlets:' + (Get-Module MqttPS).ExportedCmdlets.Count
"@
        $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh.File)
        foreach ($a in $pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', $script)) { $start.ArgumentList.Add($a) }
        $start.Environment['HOME'] = $home2
        $start.WorkingDirectory = $script:work   # PSResourceGet leaves a NuGet folder in the current one
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($start)
        $stdout = $process.StandardOutput.ReadToEndAsync(); $stderr = $process.StandardError.ReadToEndAsync()
        $process.WaitForExit(120000) | Should -BeTrue -Because 'publishing and installing finish within two minutes'
        $process.ExitCode | Should -Be 0 -Because $stderr.Result
        $stdout.Result | Should -Match 'warnings:0'
        $stdout.Result | Should -Match 'cmdlets:14'
        Get-ChildItem -Recurse -LiteralPath (Join-Path $installed 'MqttPS') -Filter LICENSE | Should -Not -BeNullOrEmpty
    }
}
