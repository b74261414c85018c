# ALAPI's own Python example, unchanged but for the URL: pointed at phonecheck's
# ALAPI-compatible endpoint (`phonecheck serve --demo --http-listen 127.0.0.1:8080`).
# The token is this service's business (any value until API keys are configured); the
# upstream token stays on the server.
import requests

url = "http://127.0.0.1:8080/api/phonecheck"

payload = "token=用户中心获取token&mobiles=13111111111"
headers = {'Content-Type': "application/x-www-form-urlencoded"}

response = requests.request("POST", url, data=payload.encode("utf-8"), headers=headers)

print(response.text)
